using Mesh.Contracts.Keys;
using Mesh.Contracts.Secrets;

namespace Mesh.Contracts.Tests;

/// <summary>Sealing secrets to an X25519 key, attacked: other keys, other purposes, every bit flip and truncation.</summary>
public sealed class SealedBoxTests
{
    private static readonly byte[] Secret = "sk_live_51Hx-not-a-real-key"u8.ToArray();

    [Fact]
    public void OnlyTheRecipient_ForThePurposeSealed_Opens()
    {
        using var service = SealingKey.Generate();
        using var other = SealingKey.Generate();
        var box = SealedBox.Seal(Secret, service.PublicKey, "secret:stripe");
        Assert.Equal(Secret, SealedBox.Open(box, service, "secret:stripe"));
        Assert.Null(SealedBox.Open(box, other, "secret:stripe"));
        Assert.Null(SealedBox.Open(box, service, "secret:github"));
        Assert.True(box.AsSpan().IndexOf(Secret) < 0, "the plaintext is not in the box");
        Assert.NotEqual(box, SealedBox.Seal(Secret, service.PublicKey, "secret:stripe"));
    }

    [Fact]
    public void EveryBitFlipAndTruncation_FailsToOpen()
    {
        using var service = SealingKey.Generate();
        var box = SealedBox.Seal(Secret, service.PublicKey, "secret:stripe");
        for (var bit = 0; bit < box.Length * 8; bit++)
        {
            var flipped = (byte[])box.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.Null(SealedBox.Open(flipped, service, "secret:stripe"));
        }

        for (var length = 0; length < box.Length; length++)
        {
            Assert.Null(SealedBox.Open(box.AsSpan(0, length), service, "secret:stripe"));
        }
    }

    [Fact]
    public void SealingKeys_RoundTripAsText_AndMistypedTextIsRefused()
    {
        using var key = SealingKey.Generate();
        Assert.StartsWith("X", key.PublicKeyText);
        var seed = key.ExportSeedText();
        Assert.StartsWith("SX", seed);
        Assert.True(SealingKey.TryFromSeedText(seed, out var again, out var error), error);
        using (again)
        {
            Assert.Equal(key.PublicKey, again!.PublicKey);
        }

        Assert.True(KeyText.TryDecodeCurvePublic(key.PublicKeyText, out var raw, out error), error);
        Assert.Equal(key.PublicKey, raw);
        var typo = key.PublicKeyText[..10] + (key.PublicKeyText[10] == 'A' ? 'B' : 'A') + key.PublicKeyText[11..];
        Assert.False(KeyText.TryDecodeCurvePublic(typo, out _, out _));
        Assert.False(KeyText.TryDecodeCurvePublic(seed, out _, out error));
        Assert.Contains("seed", error);
        Assert.False(SealingKey.TryFromSeedText(key.PublicKeyText, out _, out _));
        using var signing = SigningKey.Generate();
        Assert.False(SealingKey.TryFromSeedText(signing.ExportSeedText(), out _, out _));
    }
}
