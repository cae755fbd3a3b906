using System.Security.Cryptography;
using NSec.Cryptography;

namespace Mesh.Contracts.Keys;

/// <summary>
/// An Ed25519 private key: an issuer's root key, or the one-time key a token carries for its next
/// block. Only issuers (the CLI, a client) hold one; a node never does.
/// </summary>
public sealed class SigningKey : IDisposable
{
    public const int SignatureLength = 64;

    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;
    private readonly Key _key;

    private SigningKey(Key key)
    {
        _key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    /// <summary>The raw 32-byte public key.</summary>
    public byte[] PublicKey { get; }

    public string PublicKeyText => KeyText.EncodePublic(PublicKey);

    public static SigningKey Generate() => FromRawSeed(RandomNumberGenerator.GetBytes(KeyText.RawKeyLength));

    public static SigningKey FromRawSeed(ReadOnlySpan<byte> seed)
    {
        var parameters = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        return new SigningKey(Key.Import(Ed25519, seed, KeyBlobFormat.RawPrivateKey, parameters));
    }

    public static bool TryFromSeedText(string text, out SigningKey? key, out string error)
    {
        key = null;
        if (!KeyText.TryDecodeSeed(text, out var seed, out error))
        {
            return false;
        }

        key = FromRawSeed(seed);
        CryptographicOperations.ZeroMemory(seed);
        return true;
    }

    /// <summary>The raw 32-byte seed. Handle with care: this is the secret.</summary>
    public byte[] ExportRawSeed() => _key.Export(KeyBlobFormat.RawPrivateKey);

    public string ExportSeedText()
    {
        var seed = ExportRawSeed();
        try
        {
            return KeyText.EncodeSeed(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    public void Sign(ReadOnlySpan<byte> data, Span<byte> signature) => Ed25519.Sign(_key, data, signature);

    public void Dispose() => _key.Dispose();
}
