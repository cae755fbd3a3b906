using System.Text;
using Mesh.Contracts.HostCalls;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Rules;
using Mesh.Contracts.Wire;

namespace Mesh.IntegrationTests;

/// <summary>Outbound HTTP from inside a function, against a real server on loopback, tried as an attacker would.</summary>
[Collection(NatsServerDefinition.Name)]
public sealed class HttpCapabilityTests(NatsServerFixture nats) : IAsyncLifetime, IDisposable
{
    private readonly LoopbackHttpServer _server = new();
    private MeshCluster _mesh = null!;
    private HttpProbe _probe = null!;

    public async Task InitializeAsync()
    {
        _mesh = await nats.SharedMeshAsync();
        _probe = await HttpProbe.DeployAsync(_mesh);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _server.Dispose();

    private string Base => $"http://127.0.0.1:{_server.Port}";

    private string Grant(params string[] rules) => _probe.Grant(rules);

    private Task<Reply> SendAsync(string token, string method, string url, params (string, string)[] headers) => _probe.SendAsync(token, method, url, headers);

    private Task<Reply> SendAsync(string token, string method, string url, byte[] body, params (string, string)[] headers) => _probe.SendAsync(token, method, url, body, headers);

    private static HttpExchange.Response Response(Reply reply) => HttpProbe.Response(reply);

    private static string Returned(int status) => HttpProbe.Returned(status);

    [Fact]
    public async Task AGrantedRequest_ReachesTheServer_AndTheGuestGetsTheResponse()
    {
        var reply = await SendAsync(Grant($"GET {Base}/"), "GET", $"{Base}/v1/charges?limit=3");

        Assert.True(reply.IsOk, reply.ToString());
        var response = Response(reply);
        Assert.Equal(200, response.Status);
        Assert.Equal("GET /v1/charges?limit=3 from loopback", Encoding.UTF8.GetString(response.Body));
    }

    [Fact]
    public async Task ARedirect_IsShownToTheGuest_NotFollowed_AndFollowingItIsCheckedAgain()
    {
        var token = Grant($"GET {Base}/");
        var reply = await SendAsync(token, "GET", $"{Base}/redirect");

        var response = Response(reply);
        Assert.Equal(302, response.Status);
        Assert.Contains(response.Headers, h => h.Name == "Location" && h.Value == "http://evil.example/steal");
        Assert.Equal(Returned(1), (await SendAsync(token, "GET", "http://evil.example/steal")).Message);
    }

    [Theory]
    [InlineData("POST", "/x")]
    [InlineData("GET", "/admin/x")]
    public async Task AMethodOrPathOutsideTheRule_IsDenied(string method, string path)
    {
        var before = _server.Requests;
        var reply = await SendAsync(Grant($"GET {Base}/v1/"), method, Base + (path == "/x" ? "/v1/x" : path));

        Assert.Equal(Returned(1), reply.Message);
        Assert.Equal(before, _server.Requests);
    }

    [Fact]
    public async Task AHostOrPortNotGranted_IsDenied()
    {
        var token = Grant($"GET {Base}/");
        Assert.Equal(Returned(1), (await SendAsync(token, "GET", $"http://127.0.0.2:{_server.Port}/")).Message);
        Assert.Equal(Returned(1), (await SendAsync(token, "GET", $"http://127.0.0.1:{_server.Port + 1}/")).Message);
        Assert.Equal(Returned(1), (await SendAsync(token, "GET", $"https://127.0.0.1:{_server.Port}/")).Message);
    }

    [Theory]
    [InlineData("http://2130706433:{port}/")]
    [InlineData("http://0x7f.0.0.1:{port}/")]
    [InlineData("http://127.1:{port}/")]
    [InlineData("http://0177.0.0.1:{port}/")]
    [InlineData("http://user@127.0.0.1:{port}/")]
    [InlineData("http://127.0.0.1:{port}@evil.example/")]
    [InlineData("http://127.0.0.1:{port}/v1/../admin")]
    [InlineData("http://127.0.0.1:{port}/v1/%2e%2e/admin")]
    public async Task IpAndUserinfoTricks_AreRefused_BeforeAnythingIsSent(string url)
    {
        var before = _server.Requests;
        var reply = await SendAsync(Grant($"GET {Base}/"), "GET", url.Replace("{port}", _server.Port.ToString()));

        Assert.Equal(Returned(7), reply.Message);
        Assert.Equal(before, _server.Requests);
    }

    [Fact]
    public async Task ANameThatResolvesToLoopback_IsRefused_WithoutARuleNamingTheIp()
    {
        var before = _server.Requests;
        var reply = await SendAsync(Grant($"GET http://localhost:{_server.Port}/"), "GET", $"http://localhost:{_server.Port}/");

        Assert.Equal(Returned(1), reply.Message);
        Assert.Equal(before, _server.Requests);
    }

    [Fact]
    public async Task AHugeResponse_StopsAtTheLimit()
    {
        var reply = await SendAsync(Grant($"GET {Base}/"), "GET", $"{Base}/huge");
        Assert.Equal(Returned(3), reply.Message);
    }

    [Fact]
    public async Task AFailingIdempotentRequest_IsRetried_ButAPostIsNot()
    {
        var token = Grant($"GET,POST {Base}/flaky/");

        var get = Response(await SendAsync(token, "GET", $"{Base}/flaky/get"));
        var post = Response(await SendAsync(token, "POST", $"{Base}/flaky/post"));

        Assert.Equal(200, get.Status);
        Assert.Equal(503, post.Status);
    }

    [Fact]
    public async Task ARequestBodyOverTheLimit_IsRefused_BeforeAnythingIsSent()
    {
        var before = _server.Requests;
        var reply = await SendAsync(Grant($"POST {Base}/"), "POST", $"{Base}/upload", new byte[70 * 1024]);

        Assert.Equal(Returned(3), reply.Message);
        Assert.Equal(before, _server.Requests);
    }

    [Fact]
    public async Task ASlowServer_CannotHoldTheFunctionPastItsWallTime()
    {
        var token = _probe.Grant([$"GET {Base}/"], new Limits(WallTimeMs: 1000));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var reply = await SendAsync(token, "GET", $"{Base}/slow");

        // Either the request gave up when the invocation's time ran out (status -5) or the deadline
        // stopped the guest just after: never the server's three seconds.
        Assert.True(reply.Message == Returned(5) || reply.Status == ErrorCode.FunctionTimeout.ToWire(), reply.ToString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task HeadersTheHostSets_CannotBeOverridden()
    {
        var reply = await SendAsync(Grant($"GET {Base}/"), "GET", $"{Base}/", ("Host", "evil.example"));
        Assert.Equal(Returned(7), reply.Message);
    }

    [Fact]
    public async Task ImportingHttp_WithoutAnyHttpRule_CannotLink()
    {
        var reply = await SendAsync(_mesh.Grant(HttpProbe.Function, _probe.Module), "GET", $"{Base}/");

        Assert.Equal(ErrorCode.CapabilityDenied.ToWire(), reply.Status);
        Assert.Contains("http", reply.Message);
    }
}
