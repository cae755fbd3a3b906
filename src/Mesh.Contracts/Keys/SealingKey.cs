using System.Security.Cryptography;
using NSec.Cryptography;

namespace Mesh.Contracts.Keys;

/// <summary>
/// An X25519 key pair secrets are sealed to (<see cref="Secrets.SealedBox"/>): the secrets
/// service's long-lived one (text <c>SX...</c>, public <c>X...</c>), or a node's one-time key for a
/// single release.
/// </summary>
public sealed class SealingKey : IDisposable
{
    private SealingKey(Key key)
    {
        Key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    internal Key Key { get; }

    /// <summary>The raw 32-byte public key.</summary>
    public byte[] PublicKey { get; }

    public string PublicKeyText => KeyText.EncodeCurvePublic(PublicKey);

    public static SealingKey Generate() => FromRawSeed(RandomNumberGenerator.GetBytes(KeyText.RawKeyLength));

    public static SealingKey FromRawSeed(ReadOnlySpan<byte> seed) =>
        new(Key.Import(KeyAgreementAlgorithm.X25519, seed, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    public static bool TryFromSeedText(string text, out SealingKey? key, out string error)
    {
        key = null;
        if (!KeyText.TryDecodeCurveSeed(text, out var seed, out error))
        {
            return false;
        }

        key = FromRawSeed(seed);
        CryptographicOperations.ZeroMemory(seed);
        return true;
    }

    public string ExportSeedText()
    {
        var seed = Key.Export(KeyBlobFormat.RawPrivateKey);
        try
        {
            return KeyText.EncodeCurveSeed(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    public void Dispose() => Key.Dispose();
}
