using System.Security.Cryptography;
using System.Text;
using Mesh.Contracts.Keys;
using NSec.Cryptography;

namespace Mesh.Contracts.Secrets;

/// <summary>
/// Anonymous public-key encryption of a secret to one X25519 key: a fresh ephemeral key agrees a
/// shared secret with the recipient's, HKDF-SHA256 turns it (with both public keys) into a
/// ChaCha20-Poly1305 key used once, and the purpose (<c>secret:stripe</c> at rest, the release's
/// nonce in transit) is authenticated data, so a sealed value cannot be moved to another name or
/// replayed into another release. Layout: <c>ephemeral public key (32) | ciphertext | tag (16)</c>.
/// </summary>
public static class SealedBox
{
    private static readonly byte[] Info = "mesh sealed box v1"u8.ToArray();
    private static readonly AeadAlgorithm Aead = AeadAlgorithm.ChaCha20Poly1305;

    public const int Overhead = KeyText.RawKeyLength + 16;

    /// <summary>The most a sealed value may hold: secrets are keys and passwords, not files.</summary>
    public const int MaxPlaintext = 8 * 1024;

    public static byte[] Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> recipientPublicKey, string purpose)
    {
        if (plaintext.Length > MaxPlaintext)
        {
            throw new ArgumentException($"a secret is at most {MaxPlaintext} bytes");
        }

        var recipient = PublicKey.Import(KeyAgreementAlgorithm.X25519, recipientPublicKey, KeyBlobFormat.RawPublicKey);
        using var ephemeral = Key.Create(KeyAgreementAlgorithm.X25519);
        var ephemeralPublic = ephemeral.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        using var key = Derive(ephemeral, recipient, ephemeralPublic, recipientPublicKey)
            ?? throw new CryptographicException("the recipient's public key is not a usable X25519 key");
        var sealedBytes = new byte[KeyText.RawKeyLength + plaintext.Length + Aead.TagSize];
        ephemeralPublic.CopyTo(sealedBytes, 0);
        Aead.Encrypt(key, Nonce, Encoding.UTF8.GetBytes(purpose), plaintext, sealedBytes.AsSpan(KeyText.RawKeyLength));
        return sealedBytes;
    }

    /// <summary>The plaintext, or null when the box was not sealed to this key for this purpose, or was changed.</summary>
    public static byte[]? Open(ReadOnlySpan<byte> sealedBytes, SealingKey recipient, string purpose)
    {
        if (sealedBytes.Length < Overhead || sealedBytes.Length > MaxPlaintext + Overhead)
        {
            return null;
        }

        if (!PublicKey.TryImport(KeyAgreementAlgorithm.X25519, sealedBytes[..KeyText.RawKeyLength], KeyBlobFormat.RawPublicKey, out var ephemeral) || ephemeral is null)
        {
            return null;
        }

        using var key = Derive(recipient.Key, ephemeral, sealedBytes[..KeyText.RawKeyLength], recipient.PublicKey);
        if (key is null)
        {
            return null;
        }

        var plaintext = new byte[sealedBytes.Length - Overhead];
        return Aead.Decrypt(key, Nonce, Encoding.UTF8.GetBytes(purpose), sealedBytes[KeyText.RawKeyLength..], plaintext) ? plaintext : null;
    }

    // Each key encrypts once (a fresh ephemeral key per box), so a zero nonce is safe.
    private static ReadOnlySpan<byte> Nonce => new byte[12];

    private static Key? Derive(Key own, PublicKey other, ReadOnlySpan<byte> ephemeralPublic, ReadOnlySpan<byte> recipientPublic)
    {
        using var shared = KeyAgreementAlgorithm.X25519.Agree(own, other);
        if (shared is null)
        {
            return null;
        }

        Span<byte> salt = stackalloc byte[2 * KeyText.RawKeyLength];
        ephemeralPublic.CopyTo(salt);
        recipientPublic.CopyTo(salt[KeyText.RawKeyLength..]);
        return KeyDerivationAlgorithm.HkdfSha256.DeriveKey(shared, salt, Info, Aead);
    }
}
