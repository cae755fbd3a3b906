using Mesh.Contracts.Wire;

namespace Mesh.IntegrationTests.Attacks;

/// <summary>
/// Issue 11 §1: a guest granted only <c>GET http://HOST/v1/</c> tries to smuggle headers or a second
/// request through <c>mesh.http_request</c>, and to reach a path outside <c>/v1/</c> that a server
/// would act on. Every attempt is refused with <c>-7</c> before a byte reaches the server (which
/// records every byte it receives), the reply is an ordinary function error, and the node serves a
/// normal request right after.
/// </summary>
[Collection(NatsServerDefinition.Name)]
public sealed class HttpInjectionAttackTests(NatsServerFixture nats) : IAsyncLifetime, IDisposable
{
    private readonly RawHttpServer _server = new();
    private HttpProbe _probe = null!;
    private string _token = "";

    public async Task InitializeAsync()
    {
        _probe = await HttpProbe.DeployAsync(await nats.SharedMeshAsync());
        _token = _probe.Grant($"GET {Base}/v1/");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _server.Dispose();

    private string Base => $"http://127.0.0.1:{_server.Port}";

    public static TheoryData<string, string> InjectedHeaders => new()
    {
        { "X-Note", "a\r\nHost: evil.example\r\n\r\nDELETE /admin/users/1 HTTP/1.1\r\nHost: 127.0.0.1" },
        { "X-Note", "a\nX-Admin: yes" },
        { "X-Note", "a\rX-Admin: yes" },
        { "X-Note", "a\0b" },
        { "X-Note", "caf\u00e9" },
        { "X-Note\r\nX-Admin", "yes" },
        { "X-Note: yes\r\nX-Admin", "yes" },
        { "X Note", "yes" },
        { "", "yes" },
        { "Host", "evil.example" },
        { "Transfer-Encoding", "chunked" },
        { "Proxy-Authorization", "Basic x" },
    };

    [Theory]
    [MemberData(nameof(InjectedHeaders))]
    public async Task AHeaderWithLineBreaksOrControls_IsRefused_BeforeAnythingIsSent(string name, string value)
    {
        var reply = await _probe.SendAsync(_token, "GET", $"{Base}/v1/charges", (name, value));

        AssertRefusedAsInvalid(reply);
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("GET /v1/ HTTP/1.1\r\nX: y\r\n\r\nGET")]
    [InlineData("GET\r\n")]
    [InlineData("GET\0")]
    [InlineData("CONNECT")]
    [InlineData("TRACE")]
    public async Task AMethodWithLineBreaksOrUnknown_IsRefused_BeforeAnythingIsSent(string method)
    {
        var reply = await _probe.SendAsync(_token, method, $"{Base}/v1/charges");

        AssertRefusedAsInvalid(reply);
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("/v1/charges\r\nHost: evil.example")]
    [InlineData("/v1/charges HTTP/1.1\r\n\r\nDELETE /admin/users/1")]
    [InlineData("/v1/charges?x=1\r\nX-Admin: yes")]
    [InlineData("/v1/\r")]
    [InlineData("/v1/\n")]
    [InlineData("/v1/\0")]
    [InlineData("/v1/\u001b[2J")]
    public async Task AUrlWithLineBreaksOrControls_IsRefused_WithoutNodeInternal(string pathAndQuery)
    {
        var reply = await _probe.SendAsync(_token, "GET", Base + pathAndQuery);

        AssertRefusedAsInvalid(reply);
        // The refused URL is named in Mesh-Denied, escaped: the header itself stays one header.
        Assert.NotNull(reply.Denied);
        Assert.True(PrintableText.IsClean(reply.Denied), reply.Denied);
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("/v1/..;/admin/users/1")]
    [InlineData("/v1;x=1/../admin")]
    [InlineData("/v1/%2e%2e;/admin")]
    [InlineData("/v1/%2E%2E/admin")]
    [InlineData("/v1/%2f..%2fadmin")]
    [InlineData("/v1/%5c..%5cadmin")]
    [InlineData("/v1/%252e%252e/admin")]
    [InlineData("/v1/%c0%ae%c0%ae/admin")]
    [InlineData("/v1/%ef%bc%8e%ef%bc%8e/admin")]
    [InlineData("/v1/..\\admin")]
    public async Task APathThatAServerWouldMoveOutOfThePrefix_IsRefused(string path)
    {
        var reply = await _probe.SendAsync(_token, "GET", Base + path);

        AssertRefusedAsInvalid(reply);
        await AssertStillServingAsync();
    }

    // Refused as -7 (the probe returns 7), a function error, never node.internal, and not one byte on the wire.
    private void AssertRefusedAsInvalid(Reply reply)
    {
        Assert.Equal(ErrorCode.FunctionError.ToWire(), reply.Status);
        Assert.Equal(HttpProbe.Returned(7), reply.Message);
        Assert.Equal("", _server.Received);
    }

    private async Task AssertStillServingAsync()
    {
        var reply = await _probe.SendAsync(_token, "GET", $"{Base}/v1/charges", ("X-Note", "plain"));

        Assert.True(reply.IsOk, reply.ToString());
        Assert.Equal(200, HttpProbe.Response(reply).Status);
        Assert.Equal(["GET /v1/charges HTTP/1.1"], _server.RequestLines);
        Assert.Contains("X-Note: plain\r\n", _server.Received);
    }
}
