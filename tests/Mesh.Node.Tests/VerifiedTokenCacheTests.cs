using Microsoft.Extensions.Time.Testing;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Tokens;

namespace Mesh.Node.Tests;

public sealed class VerifiedTokenCacheTests : IDisposable
{
    private static readonly Sha256Digest Module = Sha256Digest.Of("module"u8);
    private readonly SigningKey _issuer = SigningKey.Generate();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
    private readonly TokenVerifier _verifier;

    public VerifiedTokenCacheTests() =>
        _verifier = new TokenVerifier(new TokenVerifierOptions { TrustedRoots = [_issuer.PublicKeyText] }, _clock);

    public void Dispose() => _issuer.Dispose();

    private byte[] Token(long ttlSeconds = 3600)
    {
        var now = _clock.GetUtcNow().ToUnixTimeSeconds();
        var claims = new BlockClaims
        {
            TokenId = TokenIssuer.NewTokenId(),
            IssuedAt = now,
            Expires = now + ttlSeconds,
            MaxDepth = 2,
            Functions = [new FunctionGrant("echo", [Module], CapabilitySet.None, Limits.None)],
        };
        var issued = TokenIssuer.Issue(_issuer, claims);
        Assert.True(issued.IsOk, issued.ToString());
        return issued.Value!;
    }

    private VerifiedTokenCache Cache(int capacity = 100) => new(_verifier, new VerifiedTokenCacheOptions { Capacity = capacity }, _clock);

    [Fact]
    public void RepeatedToken_IsServedFromTheCache()
    {
        var cache = Cache();
        var token = Token();

        var first = cache.Verify(token);
        var second = cache.Verify(token);

        Assert.True(first.IsOk);
        Assert.Same(first.Value, second.Value);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void TamperedCopyOfACachedToken_IsAMiss_AndRefused()
    {
        var cache = Cache();
        var token = Token();
        Assert.True(cache.Verify(token).IsOk);

        // The last bytes are the unsigned proof (the next secret): a cache keyed by signature alone
        // would serve this as valid.
        var tampered = (byte[])token.Clone();
        tampered[^2] ^= 1;
        Assert.Equal(ErrorCode.TokenSignature, cache.Verify(tampered).Error.Code);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void Failures_AreNotCached()
    {
        var cache = Cache();
        using var stranger = SigningKey.Generate();
        var foreign = TokenIssuer.Issue(stranger, new BlockClaims
        {
            TokenId = TokenIssuer.NewTokenId(),
            IssuedAt = 0,
            Expires = long.MaxValue / 2,
            MaxDepth = 0,
            Functions = [new FunctionGrant("echo", [Module], CapabilitySet.None, Limits.None)],
        });

        Assert.Equal(ErrorCode.TokenUntrustedIssuer, cache.Verify(foreign.Value!).Error.Code);
        Assert.Equal(ErrorCode.TokenMalformed, cache.Verify(new byte[] { 1, 2, 3 }).Error.Code);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void CachedToken_StillExpires()
    {
        var cache = Cache();
        var token = Token(ttlSeconds: 60);
        Assert.True(cache.Authorize(token, "echo", Module).IsOk);

        _clock.Advance(TimeSpan.FromSeconds(60 + 30));

        Assert.Equal(ErrorCode.TokenExpired, cache.Authorize(token, "echo", Module).Error.Code);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void AnExpiredToken_IsRefusedOnSightAfterItsFirstVerification()
    {
        var cache = Cache();
        var token = Token(ttlSeconds: 60);
        _clock.Advance(TimeSpan.FromSeconds(60 + 30));

        // Its signatures are checked once; from then on a look finds it refused as expired.
        Assert.True(cache.Look(token).IsUnknown);
        Assert.Equal(ErrorCode.TokenExpired, cache.Authorize(token, "echo", Module).Error.Code);
        Assert.Equal(ErrorCode.TokenExpired, cache.Look(token).Refusal?.Code);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void CachedToken_IsStillAuthorizedPerMessage()
    {
        var cache = Cache();
        var token = Token();
        Assert.True(cache.Authorize(token, "echo", Module).IsOk);
        Assert.Equal(ErrorCode.TokenWrongSubject, cache.Authorize(token, "other", Module).Error.Code);
        Assert.Equal(ErrorCode.TokenWrongModule, cache.Authorize(token, "echo", Sha256Digest.Of("x"u8)).Error.Code);
    }

    [Fact]
    public void Count_NeverExceedsTheCapacity()
    {
        var cache = Cache(capacity: 20);
        for (var i = 0; i < 200; i++)
        {
            Assert.True(cache.Verify(Token()).IsOk);
            Assert.True(cache.Count <= 20, $"count {cache.Count} after {i + 1} tokens");
        }
    }

    [Fact]
    public void Remove_DropsEveryEntryOfATokenId()
    {
        var cache = Cache();
        var token = Token();
        var verified = cache.Verify(token);
        var attenuated = TokenIssuer.Attenuate(token, new BlockClaims { Expires = verified.Value!.Expires - 10 });
        Assert.True(cache.Verify(attenuated.Value!).IsOk);
        Assert.Equal(2, cache.Count);

        cache.Remove(verified.Value.TokenId);

        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void AHeaderSeenBefore_IsFoundByItsText_AndStopsWorkingWhenItsEntryGoes()
    {
        var cache = Cache();
        var token = Token();
        var text = TokenCodec.ToText(token);
        var first = cache.LookText(text);
        Assert.True(first.IsUnknown);
        Assert.True(cache.Verify(first.Bytes, first.Key).IsOk);

        var hitsBefore = cache.Lookups.Hits;
        var second = cache.LookText(text);
        Assert.NotNull(second.Verified);
        Assert.Equal(hitsBefore + 1, cache.Lookups.Hits);

        // Revocation drops the verification: the text index alone grants nothing.
        cache.Remove(second.Verified.TokenId);
        Assert.True(cache.LookText(text).IsUnknown);
    }

    [Fact]
    public void AHeaderThatDiffersByOneCharacter_IsNotTheSameToken()
    {
        var cache = Cache();
        var text = TokenCodec.ToText(Token());
        var look = cache.LookText(text);
        Assert.True(cache.Verify(look.Bytes, look.Key).IsOk);

        var flipped = text[..^2] + (text[^2] == 'A' ? 'B' : 'A') + text[^1];
        var other = cache.LookText(flipped);

        Assert.Null(other.Verified);
        Assert.False(cache.Verify(other.Bytes, other.Key).IsOk);
    }

    [Theory]
    [InlineData(" ")]
    [InlineData("not base64!")]
    [InlineData("ab\u00e9cd")]
    [InlineData("")]
    public void AHeaderThatIsNotTokenText_IsRefusedAsBefore(string text)
    {
        var look = Cache().LookText(System.Text.RegularExpressions.Regex.Unescape(text));

        Assert.NotNull(look.Refusal);
    }
}
