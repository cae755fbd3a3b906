using NSec.Cryptography;

namespace Mesh.Contracts.Keys;

/// <summary>An Ed25519 public key, imported once so the hot path only verifies.</summary>
public sealed class VerifyingKey
{
    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;
    private readonly PublicKey _key;

    private VerifyingKey(PublicKey key, byte[] raw)
    {
        _key = key;
        Raw = raw;
    }

    public byte[] Raw { get; }

    public string Text => KeyText.EncodePublic(Raw);

    /// <summary>Imports a raw key; false for a wrong length or a point that is not a valid public key.</summary>
    public static bool TryImport(ReadOnlySpan<byte> raw, out VerifyingKey? key)
    {
        key = null;
        if (raw.Length != KeyText.RawKeyLength
            || !PublicKey.TryImport(Ed25519, raw, KeyBlobFormat.RawPublicKey, out var imported)
            || imported is null)
        {
            return false;
        }

        key = new VerifyingKey(imported, raw.ToArray());
        return true;
    }

    public static bool TryParse(string text, out VerifyingKey? key, out string error)
    {
        key = null;
        if (!KeyText.TryDecodePublic(text, out var raw, out error))
        {
            return false;
        }

        if (!TryImport(raw, out key))
        {
            error = "the key decodes but is not a valid Ed25519 public key";
            return false;
        }

        return true;
    }

    /// <summary>Strict Ed25519 verification (libsodium through NSec).</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        signature.Length == SigningKey.SignatureLength && Ed25519.Verify(_key, data, signature);
}
