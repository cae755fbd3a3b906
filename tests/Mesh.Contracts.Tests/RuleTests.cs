using Mesh.Contracts.Tokens.Rules;

namespace Mesh.Contracts.Tests;

public class RuleTests
{
    [Theory]
    [InlineData("a.b", "a.b", true)]
    [InlineData("a.*", "a.b", true)]
    [InlineData("a.*", "a.b.c", false)]
    [InlineData("a.>", "a.b.c", true)]
    [InlineData("a.>", "a", false)]
    [InlineData(">", "anything.at.all", true)]
    [InlineData("a.b", "a.*", false)]
    [InlineData("a.b", "a.>", false)]
    public void SubjectPattern_Matches(string pattern, string subject, bool expected) =>
        Assert.Equal(expected, SubjectPattern.Matches(pattern, subject));

    [Theory]
    [InlineData("a.>", "a.b.>", true)]
    [InlineData("a.>", "a.*", true)]
    [InlineData("a.*", "a.b", true)]
    [InlineData("a.*", "a.>", false)]
    [InlineData("a.b", "a.*", false)]
    [InlineData("a.*.c", "a.>", false)]
    [InlineData("a.>", "a", false)]
    [InlineData(">", "a", true)]
    [InlineData("a.b", "a.b.c", false)]
    public void SubjectPattern_Covers(string parent, string child, bool expected) =>
        Assert.Equal(expected, SubjectPattern.Covers(parent, child));

    [Theory]
    [InlineData("a.b", true)]
    [InlineData("a.>", true)]
    [InlineData("a.>.b", false)]
    [InlineData("a.b*", false)]
    [InlineData("a..b", false)]
    [InlineData("a b", false)]
    [InlineData("", false)]
    public void SubjectPattern_IsValid(string pattern, bool expected) => Assert.Equal(expected, SubjectPattern.IsValid(pattern));

    [Theory]
    [InlineData("API.Example.COM.", "api.example.com")]
    [InlineData("*.Example.com", "*.example.com")]
    [InlineData("bücher.example", "xn--bcher-kva.example")]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("[::1]", "[::1]")]
    [InlineData("0x7f.1", null)]
    [InlineData("0177.0.0.1", null)]
    [InlineData("2130706433", null)]
    [InlineData("127.1", null)]
    [InlineData("*.127.0.0.1", null)]
    [InlineData("user@host.com", null)]
    [InlineData("host.com:80", null)]
    [InlineData("", null)]
    public void HttpRule_NormaliseHost(string input, string? expected) => Assert.Equal(expected, HttpRule.NormaliseHost(input));

    [Theory]
    [InlineData("/v1", "/v1", true)]
    [InlineData("/v1/charges", "/v1", true)]
    [InlineData("/v1-admin", "/v1", false)]
    [InlineData("/v1/x", "/v1/", true)]
    [InlineData("/v1", "/v1/", false)]
    [InlineData("/anything", "/", true)]
    public void PathPrefix_IsSegmentAware(string path, string prefix, bool expected) => Assert.Equal(expected, PathPrefixes.Matches(path, prefix));

    [Fact]
    public void WildcardHost_NeverMatchesTheBareDomain_OrALookalike()
    {
        var rule = new HttpRule("https", "*.example.com", 443, HttpMethods.Get, "/");
        Assert.True(rule.Allows("https", "a.example.com", 443, HttpMethods.Get, "/"));
        Assert.False(rule.Allows("https", "example.com", 443, HttpMethods.Get, "/"));
        Assert.False(rule.Allows("https", "evilexample.com", 443, HttpMethods.Get, "/"));
        Assert.False(rule.Allows("https", "a.example.com.evil.com", 443, HttpMethods.Get, "/"));
    }

    [Fact]
    public void KvRule_PrefixAndOperations()
    {
        var rule = new KvRule("orders", "t1.", KvOperations.Get | KvOperations.Put);
        Assert.True(rule.Allows("orders", "t1.x", KvOperations.Put));
        Assert.False(rule.Allows("orders", "t2.x", KvOperations.Get));
        Assert.False(rule.Allows("orders", "t1.x", KvOperations.Delete));
        Assert.False(rule.Allows("users", "t1.x", KvOperations.Get));
        Assert.True(rule.Covers(rule with { KeyPrefix = "t1.a", Operations = KvOperations.Get }));
        Assert.False(rule.Covers(rule with { KeyPrefix = "t" }));
    }
}

public class RuleTextTests
{
    [Theory]
    [InlineData("https://api.stripe.com/v1/", "GET,HEAD https://api.stripe.com/v1/")]
    [InlineData("post,GET https://API.Stripe.com.:8443/v1/charges", "GET,POST https://api.stripe.com:8443/v1/charges")]
    [InlineData("DELETE http://*.example.com", "DELETE http://*.example.com/")]
    [InlineData("GET http://127.0.0.1:8080/", "GET http://127.0.0.1:8080/")]
    public void Http_ParsesAndFormatsCanonically(string text, string canonical)
    {
        Assert.True(RuleText.TryParseHttp(text, out var rule, out var error), error);
        Assert.Equal(canonical, RuleText.Format(rule!));
        Assert.True(RuleText.TryParseHttp(canonical, out var again, out _));
        Assert.Equal(rule, again);
    }

    [Theory]
    [InlineData("https://user@api.stripe.com/", "user information")]
    [InlineData("https://api.stripe.com@evil.com/", "user information")]
    [InlineData("https://0x7f000001/", "host")]
    [InlineData("https://127.1/", "host")]
    [InlineData("ftp://example.com/", "scheme")]
    [InlineData("FETCH https://example.com/", "method")]
    [InlineData("https://example.com:99999/", "port")]
    [InlineData("https://example.com/a/../b", "path")]
    [InlineData("example.com", "not a URL")]
    public void Http_RefusesTricks(string text, string complaint)
    {
        Assert.False(RuleText.TryParseHttp(text, out _, out var error));
        Assert.Contains(complaint, error);
    }

    [Theory]
    [InlineData("orders", "orders/:get")]
    [InlineData("orders/tenant-1.", "orders/tenant-1.:get")]
    [InlineData("orders/tenant-1.:get,put,list", "orders/tenant-1.:get,put,list")]
    public void Kv_ParsesAndFormatsCanonically(string text, string canonical)
    {
        Assert.True(RuleText.TryParseKv(text, out var rule, out var error), error);
        Assert.Equal(canonical, RuleText.Format(rule!));
    }

    [Theory]
    [InlineData("orders/t1:drop")]
    [InlineData("ord ers/t1")]
    [InlineData("orders/t1.*")]
    [InlineData("orders/..x")]
    public void Kv_RefusesNonsense(string text) => Assert.False(RuleText.TryParseKv(text, out _, out _));
}

public class ReservedSubjectTests
{
    [Theory]
    [InlineData("$SYS.ACCOUNT.x.CONNECT", true)]
    [InlineData("$JS.API.STREAM.DELETE.x", true)]
    [InlineData("$KV.orders.tenant-1", true)]
    [InlineData("$O.mesh-modules.C.x", true)]
    [InlineData("$SRV.PING", true)]
    [InlineData("_INBOX.someone-else.1", true)]
    [InlineData("mesh.revocations", true)]
    [InlineData("mesh", true)]
    [InlineData("mesh.fn.fraud", false)]
    [InlineData("events.payments.settled", false)]
    [InlineData("meshy.thing", false)]
    public void IsReserved(string subject, bool expected) => Assert.Equal(expected, SubjectPattern.IsReserved(subject));

    [Theory]
    [InlineData("$SYS.>", true)]
    [InlineData("$KV.orders.*", true)]
    [InlineData("_INBOX.>", true)]
    [InlineData("mesh.>", true)]
    [InlineData("mesh.fn.>", false)]
    [InlineData(">", false)]
    [InlineData("*.x", false)]
    [InlineData("events.>", false)]
    public void NamesReserved(string pattern, bool expected) => Assert.Equal(expected, SubjectPattern.NamesReserved(pattern));
}

public class HttpTargetTests
{
    [Theory]
    [InlineData("https://api.stripe.com/v1/charges?x=1", "https", "api.stripe.com", 443, "/v1/charges")]
    [InlineData("http://127.0.0.1:8080", "http", "127.0.0.1", 8080, "/")]
    [InlineData("http://[::1]:81/a", "http", "[::1]", 81, "/a")]
    public void Parses_WhatWillBeSent(string url, string scheme, string host, int port, string path)
    {
        Assert.True(HttpTarget.TryParse(url, out var target, out var error), error);
        Assert.Equal((scheme, host, port, path), (target!.Scheme, target.Host, target.Port, target.Path));
    }

    [Theory]
    [InlineData("https://user@api.stripe.com/")]
    [InlineData("https://api.stripe.com@evil.com/")]
    [InlineData("https://user:pass@api.stripe.com/")]
    [InlineData("http://127.1/")]
    [InlineData("http://2130706433/")]
    [InlineData("http://0x7f.0.0.1/")]
    [InlineData("http://0177.0.0.1/")]
    [InlineData("https://API.stripe.com/")]
    [InlineData("https://api.stripe.com./")]
    [InlineData("https://api.stripe.com/v1/../admin")]
    [InlineData("https://api.stripe.com/v1/%2e%2e/admin")]
    [InlineData("https://api.stripe.com/v1%2fadmin")]
    [InlineData("https://api.stripe.com\\@evil.com/")]
    [InlineData("ftp://api.stripe.com/")]
    [InlineData("//api.stripe.com/")]
    [InlineData("https://*.stripe.com/")]
    [InlineData("https://api.stripe.com/a b")]
    public void Refuses_Ambiguity(string url) => Assert.False(HttpTarget.TryParse(url, out _, out _), url);

    // Paths that pass a plain prefix check on /v1/ but mean another path to a server that decodes
    // or strips them: path parameters (Tomcat, Jetty, Spring), encoded separators in either case,
    // double encoding, overlong UTF-8 dots (IIS), fullwidth dots that normalise to '.', and
    // control characters once decoded.
    [Theory]
    [InlineData("/v1/..;/admin")]
    [InlineData("/v1;jsessionid=x/../admin")]
    [InlineData("/v1/;/admin")]
    [InlineData("/v1/%3B/admin")]
    [InlineData("/v1/%2E%2E/admin")]
    [InlineData("/v1/%2F..%2Fadmin")]
    [InlineData("/v1/%5C..%5Cadmin")]
    [InlineData("/v1/%252e%252e/admin")]
    [InlineData("/v1/%c0%ae%c0%ae/admin")]
    [InlineData("/v1/%ef%bc%8e%ef%bc%8e/admin")]
    [InlineData("/v1/%e2%80%a5/admin")]
    [InlineData("/v1/%00/admin")]
    [InlineData("/v1/%0d%0aHost:%20evil")]
    [InlineData("/v1/%ff")]
    public void Refuses_PathsAServerWouldReadDifferently(string path)
    {
        Assert.False(HttpTarget.TryParse("http://api.example.com" + path, out _, out var error), path);
        Assert.NotEmpty(error);
    }

    [Theory]
    [InlineData("/v1/caf%C3%A9")]
    [InlineData("/v1/a+b")]
    [InlineData("/v1//x")]
    public void Accepts_EncodedPathsThatStayWhereTheyAre(string path) =>
        Assert.True(HttpTarget.TryParse("http://api.example.com" + path, out _, out var error), error);

    [Theory]
    [InlineData("http://api.example.com/v1\r\n")]
    [InlineData("http://api.example.com/v1\u0000")]
    [InlineData("http://api.example.com/v1?x=\r\nHost: evil")]
    [InlineData("http://api.example.com\r\n/v1")]
    public void Refuses_ControlCharactersAnywhere(string escaped)
    {
        var url = System.Text.RegularExpressions.Regex.Unescape(escaped);
        Assert.False(HttpTarget.TryParse(url, out _, out _), escaped);
    }
}
