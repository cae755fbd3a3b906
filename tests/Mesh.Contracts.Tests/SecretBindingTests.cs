using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Encoding;
using Mesh.Contracts.Tokens.Rules;

namespace Mesh.Contracts.Tests;

/// <summary>
/// Secrets bound to HTTP rules in a token (issue 16): how they are written, read and narrowed. A
/// binding names a secret and where its value goes, never the value; narrowing may drop a binding,
/// never add or change one; tokens that bind none encode exactly as before.
/// </summary>
public sealed class SecretBindingTests : IDisposable
{
    private static readonly SecretBinding Stripe = new("stripe", "Authorization", "Bearer {}");
    private readonly TokenFixture _f = new();

    public void Dispose() => _f.Dispose();

    private static HttpRule StripeRule => new HttpRule("https", "api.stripe.com", 443, HttpMethods.Post, "/v1/") { Secrets = [Stripe] };

    private static FunctionGrant Paying(params HttpRule[] rules) => TokenFixture.Payments with { Capabilities = TokenFixture.Payments.Capabilities with { Http = [.. rules] } };

    [Fact]
    public void ABinding_RoundTripsThroughTheToken_AndThroughItsText()
    {
        var grant = TokenFixture.Ok(_f.Verifier.Verify(_f.Issue(_f.RootClaims(Paying(StripeRule))), "payments", null));
        Assert.Equal(new[] { Stripe }, grant.SecretsFor("https", "api.stripe.com", 443, HttpMethods.Post, "/v1/charges").ToArray());
        Assert.True(grant.BindsSecret("stripe"));
        Assert.False(grant.BindsSecret("other"));

        Assert.Equal("POST https://api.stripe.com/v1/ with stripe:Authorization=Bearer {}", RuleText.Format(StripeRule));
        Assert.True(RuleText.TryParseHttp(RuleText.Format(StripeRule), out var parsed, out var error), error);
        Assert.Equal(StripeRule, parsed);
    }

    [Fact]
    public void OnlyRequestsTheRuleAllows_GetTheSecret()
    {
        var grant = TokenFixture.Ok(_f.Verifier.Verify(_f.Issue(_f.RootClaims(Paying(StripeRule, new HttpRule("https", "api.stripe.com", 443, HttpMethods.Get, "/")))), "payments", null));
        Assert.Empty(grant.SecretsFor("https", "api.stripe.com", 443, HttpMethods.Get, "/v1/charges"));
        Assert.Empty(grant.SecretsFor("https", "api.stripe.com", 443, HttpMethods.Post, "/v2/charges"));
        Assert.Empty(grant.SecretsFor("https", "evil.example", 443, HttpMethods.Post, "/v1/charges"));
        Assert.Empty(grant.SecretsFor("http", "api.stripe.com", 443, HttpMethods.Post, "/v1/charges"));
    }

    [Fact]
    public void Narrowing_MayDropABinding_NeverAddOrChangeOne()
    {
        var token = _f.Issue(_f.RootClaims(Paying(StripeRule)));
        BlockClaims Narrowed(HttpRule rule) => new() { Functions = [Paying(rule)], Expires = _f.Now + 60 };

        // Dropped: the narrower token still calls the API, without the secret.
        var dropped = TokenFixture.Ok(TokenIssuer.Attenuate(token, Narrowed(StripeRule with { Secrets = [] })));
        var grant = TokenFixture.Ok(_f.Verifier.Verify(dropped, "payments", null));
        Assert.True(grant.AllowsHttp("https", "api.stripe.com", 443, HttpMethods.Post, "/v1/charges"));
        Assert.Empty(grant.SecretsFor("https", "api.stripe.com", 443, HttpMethods.Post, "/v1/charges"));
        Assert.False(grant.BindsSecret("stripe"));

        // A narrower rule keeps it, for what it still allows.
        var narrower = TokenFixture.Ok(TokenIssuer.Attenuate(token, Narrowed(StripeRule with { PathPrefix = "/v1/charges" })));
        Assert.Equal(new[] { Stripe }, TokenFixture.Ok(_f.Verifier.Verify(narrower, "payments", null)).SecretsFor("https", "api.stripe.com", 443, HttpMethods.Post, "/v1/charges").ToArray());

        // Added, renamed, or moved to another header or template: widened, by the issuer's API and by an attacker's append alike.
        foreach (var widened in new[]
        {
            StripeRule with { Secrets = [Stripe, new SecretBinding("github", "X-Token", "{}")] },
            StripeRule with { Secrets = [Stripe with { Secret = "github" }] },
            StripeRule with { Secrets = [Stripe with { Header = "X-Leak" }] },
            StripeRule with { Secrets = [Stripe with { Template = "{}" }] },
        })
        {
            Assert.False(TokenIssuer.Attenuate(token, Narrowed(widened)).IsOk);
            var forged = TokenFixture.AppendUnchecked(token, Narrowed(widened));
            Assert.Equal(Wire.ErrorCode.TokenWidened, _f.Verifier.Verify(forged, "payments", null).Error.Code);
        }

        // A token that never bound it cannot gain it either.
        var plain = _f.Issue(_f.RootClaims(Paying(StripeRule with { Secrets = [] })));
        Assert.Equal(Wire.ErrorCode.TokenWidened, _f.Verifier.Verify(TokenFixture.AppendUnchecked(plain, Narrowed(StripeRule)), "payments", null).Error.Code);
    }

    [Fact]
    public void ARuleWithoutSecrets_EncodesAsBefore_AndAnEmptyListIsNotASecondEncoding()
    {
        var plain = new HttpRule("https", "api.stripe.com", 443, HttpMethods.Post, "/v1/");
        var bytes = TokenCodec.EncodeClaims(_f.RootClaims(Paying(plain)));
        byte[] fiveFields = [0x95, 0xa5, .. "https"u8];
        Assert.True(bytes.AsSpan().IndexOf(fiveFields) >= 0, "a rule without secrets is the five-field array it always was");
        var bound = TokenCodec.EncodeClaims(_f.RootClaims(Paying(StripeRule)));
        byte[] sixFields = [0x96, 0xa5, .. "https"u8];
        Assert.True(bound.AsSpan().IndexOf(sixFields) >= 0);
        Assert.Equal(new[] { Stripe }, TokenFixture.Ok(TokenCodec.DecodeClaims(bound)).Functions!.Value[0].Capabilities.Http[0].Secrets.ToArray());

        // Six fields with an empty list: the same rule written a second way, so refused.
        var at = bytes.AsSpan().IndexOf(fiveFields);
        byte[] pathPrefix = [0xa4, .. "/v1/"u8];
        var prefix = bytes.AsSpan().IndexOf(pathPrefix);
        byte[] twice = [.. bytes[..at], 0x96, .. bytes[(at + 1)..(prefix + 5)], 0x90, .. bytes[(prefix + 5)..]];
        Assert.False(TokenCodec.DecodeClaims(twice).IsOk);
    }

    [Theory]
    [InlineData("stripe:Authorization=Bearer {}", null)]
    [InlineData("stripe:X-Api-Key={}", null)]
    [InlineData("stripe:Authorization=Bearer", "'{}' once")]
    [InlineData("stripe:Authorization={} {}", "'{}' once")]
    [InlineData("stripe:Host={}", "may not be written into 'Host'")]
    [InlineData("stripe:Content-Length={}", "may not be written into")]
    [InlineData("stripe:Transfer-Encoding={}", "may not be written into")]
    [InlineData("stripe:Bad Header={}", "not a header name")]
    [InlineData("stripe:X=a\r\nB: {}", "printable ASCII")]
    [InlineData("str ipe:X={}", "secret name")]
    [InlineData(":X={}", "not a secret binding")]
    [InlineData("stripe", "not a secret binding")]
    public void BindingText_IsCheckedStrictly(string text, string? problem)
    {
        var ok = RuleText.TryParseSecret(text, out var binding, out var error);
        Assert.Equal(problem is null, ok);
        if (problem is not null)
        {
            Assert.Contains(problem, error);
        }
        else
        {
            Assert.Null(binding!.Validate());
        }
    }

    [Fact]
    public void OneRule_WritesOneSecretPerHeader()
    {
        Assert.False(RuleText.TryParseHttp("POST https://api.stripe.com/v1/ with a:X-Key={} with b:x-key={}", out _, out var error));
        Assert.Contains("one secret into each header", error);
        Assert.True(RuleText.TryParseHttp("POST https://api.stripe.com/v1/ with a:X-Key={} with b:Authorization=Bearer {}", out var rule, out error), error);
        Assert.Equal(2, rule!.Secrets.Length);
    }
}
