using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Rules;
using Mesh.Contracts.Wire;

namespace Mesh.Contracts.Tests;

public sealed class TokenVerificationTests : IDisposable
{
    private readonly TokenFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public void Verify_ValidToken_GrantsExactlyWhatWasIssued()
    {
        var grant = TokenFixture.Ok(_f.Verifier.Verify(_f.Issue(), "payments", TokenFixture.ModuleA));

        Assert.Equal("payments", grant.Function);
        Assert.Equal([TokenFixture.ModuleA, TokenFixture.ModuleB], grant.Modules.ToArray());
        Assert.True(grant.AllowsLog);
        Assert.True(grant.AllowsHttp("https", "api.stripe.com", 443, HttpMethods.Post, "/v1/charges"));
        Assert.False(grant.AllowsHttp("https", "api.stripe.com", 443, HttpMethods.Delete, "/v1/charges"));
        Assert.False(grant.AllowsHttp("https", "evil.com", 443, HttpMethods.Get, "/v1/charges"));
        Assert.True(grant.AllowsKv("orders", "tenant-1.order-7", KvOperations.Put));
        Assert.False(grant.AllowsKv("orders", "tenant-2.order-7", KvOperations.Get));
        Assert.True(grant.AllowsPublish("events.payments.settled"));
        Assert.False(grant.AllowsPublish("events.refunds.settled"));
        Assert.True(grant.AllowsRequest("mesh.fn.fraud"));
        Assert.False(grant.AllowsRequest("mesh.fn.payments"));
        Assert.Equal(1_000_000, grant.Limits.Fuel);
    }

    [Fact]
    public void KvList_NeedsAListRuleWhosePrefixTheRequestedOneExtends()
    {
        var lister = TokenFixture.Payments with
        {
            Capabilities = TokenFixture.Payments.Capabilities with
            {
                Kv = [new KvRule("orders", "tenant-1.", KvOperations.List), new KvRule("users", "", KvOperations.Get)],
            },
        };
        var grant = TokenFixture.Ok(_f.Verifier.Verify(_f.Issue(_f.RootClaims(lister)), "payments", null));

        Assert.True(grant.AllowsKvList("orders", "tenant-1."));
        Assert.True(grant.AllowsKvList("orders", "tenant-1.eu."));
        Assert.False(grant.AllowsKvList("orders", "tenant-"));
        Assert.False(grant.AllowsKvList("orders", ""));
        Assert.False(grant.AllowsKvList("users", ""));
        Assert.False(grant.AllowsKvList("other", "tenant-1."));
    }

    [Fact]
    public void Verify_TextForm_RoundTrips()
    {
        var token = _f.Issue();
        var text = TokenCodec.ToText(token);
        Assert.DoesNotContain('=', text);
        Assert.Equal(token, TokenFixture.Ok(TokenCodec.FromText(text, 8192)));
    }

    [Fact]
    public void Verify_NoModuleRequested_OffersTheGrantsModules()
    {
        var grant = TokenFixture.Ok(_f.Verifier.Verify(_f.Issue(), "payments", null));
        Assert.Equal(TokenFixture.ModuleA, grant.Modules[0]);
    }

    [Theory]
    [InlineData(-31, ErrorCode.TokenNotYetValid)]
    [InlineData(-30, ErrorCode.None)]
    [InlineData(3600 + 29, ErrorCode.None)]
    [InlineData(3600 + 30, ErrorCode.TokenExpired)]
    public void Verify_AtTheClockSkewEdges(int offsetSeconds, ErrorCode expected)
    {
        var notBefore = TokenFixture.Start.AddSeconds(100);
        var root = _f.RootClaims() with { NotBefore = notBefore.ToUnixTimeSeconds(), Expires = notBefore.ToUnixTimeSeconds() + 3600 };
        var token = _f.Issue(root);
        _f.Clock.SetUtcNow(notBefore.AddSeconds(offsetSeconds));

        Assert.Equal(expected, _f.Verifier.Verify(token, "payments", null).Error.Code);
    }

    [Fact]
    public void Verify_UntrustedRoot_IsRefused()
    {
        using var stranger = SigningKey.Generate();
        var token = TokenFixture.Ok(TokenIssuer.Issue(stranger, _f.RootClaims()));

        Assert.Equal(ErrorCode.TokenUntrustedIssuer, _f.Verifier.Verify(token).Error.Code);
    }

    [Fact]
    public void Verify_FunctionNotGranted_IsWrongSubject()
    {
        Assert.Equal(ErrorCode.TokenWrongSubject, _f.Verifier.Verify(_f.Issue(), "refunds", null).Error.Code);
    }

    [Fact]
    public void Verify_AudienceElsewhere_IsWrongSubject()
    {
        var refunds = TokenFixture.Payments with { Function = "refunds" };
        var token = _f.Issue(_f.RootClaims(TokenFixture.Payments, refunds));
        var narrowed = TokenFixture.Ok(TokenIssuer.Attenuate(token, new BlockClaims { Audience = "refunds" }));

        Assert.True(_f.Verifier.Verify(token, "payments", null).IsOk);
        Assert.Equal(ErrorCode.TokenWrongSubject, _f.Verifier.Verify(narrowed, "payments", null).Error.Code);
        Assert.True(_f.Verifier.Verify(narrowed, "refunds", null).IsOk);
    }

    [Fact]
    public void Audience_MovesAlongAChain_OnlyWhereTheCurrentFunctionMayCallTheNext()
    {
        var front = TokenFixture.Payments with { Function = "front", Capabilities = CapabilitySet.None with { Request = ["mesh.fn.back"] } };
        var back = TokenFixture.Payments with { Function = "back", Capabilities = CapabilitySet.None };
        var other = TokenFixture.Payments with { Function = "other", Capabilities = CapabilitySet.None };
        var token = _f.Issue(_f.RootClaims(front, back, other));
        var atFront = TokenFixture.Ok(TokenIssuer.Attenuate(token, new BlockClaims { Audience = "front" }));

        var atBack = TokenIssuer.Attenuate(atFront, new BlockClaims { Audience = "back" });
        var atOther = TokenIssuer.Attenuate(atFront, new BlockClaims { Audience = "other" });

        Assert.True(atBack.IsOk, atBack.ToString());
        Assert.True(_f.Verifier.Verify(atBack.Value!, "back", null).IsOk);
        Assert.Equal(ErrorCode.TokenWrongSubject, _f.Verifier.Verify(atBack.Value!, "front", null).Error.Code);
        Assert.Equal(ErrorCode.TokenWidened, atOther.Error.Code);
        Assert.Equal(ErrorCode.TokenWidened, _f.Verifier.Verify(TokenFixture.AppendUnchecked(atFront, new BlockClaims { Audience = "other" })).Error.Code);
    }

    [Fact]
    public void Verify_ModuleNotGranted_IsWrongModule()
    {
        var other = Sha256Digest.Of("something else"u8);
        Assert.Equal(ErrorCode.TokenWrongModule, _f.Verifier.Verify(_f.Issue(), "payments", other).Error.Code);
    }

    [Fact]
    public void Verify_SealedToken_VerifiesButCannotBeExtended()
    {
        var token = _f.Issue(seal: true);

        Assert.True(_f.Verifier.Verify(token, "payments", null).IsOk);
        Assert.True(TokenFixture.Ok(_f.Verifier.Verify(token)).IsSealed);
        Assert.Equal(ErrorCode.TokenSealed, TokenIssuer.Attenuate(token, new BlockClaims { Expires = _f.Now + 60 }).Error.Code);
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(253402300800L)]
    public void Verify_ABlockExpiringOutsideTheCalendar_IsWidened_AndSaysSoWithoutThrowing(long expires)
    {
        var widened = _f.Verifier.Verify(TokenFixture.AppendUnchecked(_f.Issue(), new BlockClaims { Expires = expires }));

        Assert.Equal(ErrorCode.TokenWidened, widened.Error.Code);
        Assert.Contains($"Unix time {expires}", widened.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_ABlockExpiringLater_SaysWhenInUtc()
    {
        var widened = _f.Verifier.Verify(TokenFixture.AppendUnchecked(_f.Issue(), new BlockClaims { Expires = _f.Now + (48 * 3600) }));

        Assert.Matches(@"expires at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, later than the token it narrows \(\d{4}-", widened.Error.Message);
    }

    [Fact]
    public void Verify_NodeDepthCeiling_AppliesWhateverTheTokenSays()
    {
        var verifier = new TokenVerifier(new TokenVerifierOptions { TrustedRoots = [_f.Issuer.PublicKeyText], MaxDepth = 1 }, _f.Clock);
        var token = _f.Issue();
        var one = TokenFixture.Ok(TokenIssuer.Attenuate(token, new BlockClaims { Expires = _f.Now + 600 }));
        var two = TokenFixture.Ok(TokenIssuer.Attenuate(one, new BlockClaims { Expires = _f.Now + 500 }));

        Assert.True(verifier.Verify(one).IsOk);
        Assert.Equal(ErrorCode.TokenDepth, verifier.Verify(two).Error.Code);
    }

    [Fact]
    public void Verify_MissingOrEmpty_IsMissing()
    {
        Assert.Equal(ErrorCode.TokenMissing, _f.Verifier.Verify(ReadOnlyMemory<byte>.Empty).Error.Code);
        Assert.Equal(ErrorCode.TokenMissing, TokenCodec.FromText("  ", 8192).Error.Code);
        Assert.Equal(ErrorCode.TokenMissing, TokenCodec.FromText(null, 8192).Error.Code);
    }

    [Fact]
    public void TrustedRoots_WithAMistypedKey_FailAtConstruction()
    {
        var key = _f.Issuer.PublicKeyText;
        var typo = key[..^1] + (key[^1] == 'A' ? 'B' : 'A');
        var error = Assert.Throws<ArgumentException>(() =>
            new TokenVerifier(new TokenVerifierOptions { TrustedRoots = [typo] }, _f.Clock));
        Assert.Contains(nameof(TokenVerifierOptions.TrustedRoots), error.Message);
    }

    [Fact]
    public void Issue_RefusesAnIncompleteRoot()
    {
        var noExpiry = _f.RootClaims() with { Expires = null };
        Assert.Equal(ErrorCode.TokenMalformed, TokenIssuer.Issue(_f.Issuer, noExpiry).Error.Code);
        var badHost = TokenFixture.Payments with
        {
            Capabilities = TokenFixture.Payments.Capabilities with { Http = [new HttpRule("https", "API.Stripe.com", 443, HttpMethods.Get, "/")] },
        };
        Assert.Equal(ErrorCode.TokenMalformed, TokenIssuer.Issue(_f.Issuer, _f.RootClaims(badHost)).Error.Code);
    }

    [Fact]
    public void ErrorCodes_HaveDistinctWireNamesThatParseBack()
    {
        var codes = Enum.GetValues<ErrorCode>();
        Assert.Equal(codes.Length, codes.Select(c => c.ToWire()).Distinct().Count());
        foreach (var code in codes)
        {
            Assert.True(ErrorCodes.TryParse(code.ToWire(), out var parsed));
            Assert.Equal(code, parsed);
        }
    }
}
