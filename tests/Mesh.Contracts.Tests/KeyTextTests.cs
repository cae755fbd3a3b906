using Mesh.Contracts.Keys;
using NATS.NKeys;

namespace Mesh.Contracts.Tests;

public class KeyTextTests
{
    [Fact]
    public void Seed_RoundTrips_AndNatsNKeysDerivesTheSamePublicKey()
    {
        using var key = SigningKey.Generate();
        var seed = key.ExportSeedText();

        Assert.StartsWith("SO", seed);
        Assert.StartsWith("O", key.PublicKeyText);
        using var nkeys = KeyPair.FromSeed(seed);
        Assert.Equal(key.PublicKeyText, nkeys.GetPublicKey());

        Assert.True(SigningKey.TryFromSeedText(seed, out var again, out _));
        using (again)
        {
            Assert.Equal(key.PublicKey, again!.PublicKey);
        }
    }

    [Fact]
    public void SignaturesInteroperateWithNatsNKeys()
    {
        using var key = SigningKey.Generate();
        var data = "hello"u8.ToArray();
        var signature = new byte[64];
        key.Sign(data, signature);

        using var nkeys = KeyPair.FromPublicKey(key.PublicKeyText);
        Assert.True(nkeys.Verify(data, signature));
    }

    [Fact]
    public void PublicKey_WithAnyCharacterChanged_IsRejected()
    {
        using var key = SigningKey.Generate();
        var text = key.PublicKeyText;
        for (var i = 1; i < text.Length; i++)
        {
            var typo = text[..i] + (text[i] == 'A' ? 'B' : 'A') + text[(i + 1)..];
            Assert.False(KeyText.TryDecodePublic(typo, out _, out _), $"typo at {i} was accepted");
        }
    }

    [Fact]
    public void TruncatedKeys_AreRejected()
    {
        using var key = SigningKey.Generate();
        Assert.False(KeyText.TryDecodePublic(key.PublicKeyText[..^1], out _, out _));
        Assert.False(KeyText.TryDecodeSeed(key.ExportSeedText()[..^1], out _, out _));
    }

    [Fact]
    public void SeedGivenAsPublicKey_SaysSo()
    {
        using var key = SigningKey.Generate();
        Assert.False(KeyText.TryDecodePublic(key.ExportSeedText(), out _, out var error));
        Assert.Contains("seed", error);
    }

    [Fact]
    public void SeedWithAChangedCharacter_IsRejected()
    {
        using var key = SigningKey.Generate();
        var seed = key.ExportSeedText();
        var typo = seed[..10] + (seed[10] == 'A' ? 'B' : 'A') + seed[11..];
        Assert.False(SigningKey.TryFromSeedText(typo, out _, out var error));
        Assert.Contains("checksum", error);
    }
}
