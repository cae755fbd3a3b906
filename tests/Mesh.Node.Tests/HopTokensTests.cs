using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Chaining;

namespace Mesh.Node.Tests;

/// <summary>A hop token is signed once per token, target and expiry, and is what the next step can verify.</summary>
public sealed class HopTokensTests : IDisposable
{
    private static readonly Sha256Digest Module = Sha256Digest.Of("m"u8);
    private readonly SigningKey _issuer = SigningKey.Generate();
    private readonly TokenVerifier _verifier;
    private readonly DateTimeOffset _now = TimeProvider.System.GetUtcNow();

    public HopTokensTests() =>
        _verifier = new TokenVerifier(new TokenVerifierOptions { TrustedRoots = [_issuer.PublicKeyText] }, TimeProvider.System);

    public void Dispose() => _issuer.Dispose();

    private VerifiedToken Chain(bool seal = false)
    {
        FunctionGrant Step(string name, params string[] then) => new(name, [Module], CapabilitySet.None, Limits.None) { Then = [.. then] };
        var token = TokenIssuer.Issue(_issuer, new BlockClaims
        {
            TokenId = TokenIssuer.NewTokenId(),
            IssuedAt = _now.ToUnixTimeSeconds(),
            Expires = _now.ToUnixTimeSeconds() + 600,
            MaxDepth = 2,
            Audience = "a",
            Functions = [Step("a", "b", "c"), Step("b"), Step("c")],
        }, seal).Value!;
        return _verifier.Verify(token).Value!;
    }

    [Fact]
    public void TheSameHop_IsSignedOnce_AndVerifiesForItsTargetOnly()
    {
        var hops = new HopTokens();
        var token = Chain();

        var first = hops.For(token, "b", _now, TimeSpan.FromDays(1)).Value!;
        var again = hops.For(token, "b", _now.AddSeconds(5), TimeSpan.FromDays(1)).Value!;
        var other = hops.For(token, "c", _now, TimeSpan.FromDays(1)).Value!;

        Assert.Same(first, again);
        Assert.NotEqual(first, other);
        var verified = _verifier.Verify(TokenCodec.FromText(first, 8192).Value!).Value!;
        Assert.Equal("b", verified.Chain.Audience);
        Assert.Equal(token.Expires, verified.Expires);
    }

    [Fact]
    public void AShorterLifetime_GivesAHopThatExpiresSooner()
    {
        var hops = new HopTokens();
        var token = Chain();

        var bounded = hops.For(token, "b", _now, TimeSpan.FromSeconds(3)).Value!;

        var verified = _verifier.Verify(TokenCodec.FromText(bounded, 8192).Value!).Value!;
        Assert.Equal(_now.ToUnixTimeSeconds() + 3, verified.Expires);
        Assert.NotEqual(bounded, hops.For(token, "b", _now, TimeSpan.FromDays(1)).Value);
    }

    [Fact]
    public void ASealedToken_HasNoHop()
    {
        Assert.Equal(ErrorCode.TokenSealed, new HopTokens().For(Chain(seal: true), "b", _now, TimeSpan.FromDays(1)).Error.Code);
        Assert.Equal(ErrorCode.TokenMissing, new HopTokens().For(null, "b", _now, TimeSpan.FromDays(1)).Error.Code);
    }
}
