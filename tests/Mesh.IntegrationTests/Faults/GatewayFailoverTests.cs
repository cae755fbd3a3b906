using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Mesh.Cli.Local;
using Mesh.Contracts.HostCalls;
using Mesh.Contracts.Tokens;
using Mesh.Gateway;
using Microsoft.AspNetCore.Builder;

namespace Mesh.IntegrationTests.Faults;

/// <summary>
/// Issue 27 §4: after a node's SIGKILL, the gateway requests it held got 504 after the gateway's
/// whole 30 s. Now the gateway waits for what the function may take (its token's wall time and a
/// margin), and a call the dead node never started (it sat in its queue) is tried on another node.
/// Two node processes, one with a single sandbox, killed while it runs one call and holds others.
/// </summary>
public sealed class GatewayFailoverTests : IAsyncLifetime, IDisposable
{
    private readonly LoopbackHttpServer _http = new();
    private NatsServerProcess _nats = null!;
    private MeshCluster _mesh = null!;
    private WebApplication _gateway = null!;

    public async Task InitializeAsync()
    {
        _nats = await NatsServerProcess.StartAsync();
        _mesh = await MeshCluster.StartAsync(_nats.Url, nodes: 0);
        _gateway = await GatewayFixture.StartGatewayAsync(_nats.Url, new Dictionary<string, string?> { ["Mesh:Gateway:Timeout"] = "00:00:30" });
    }

    public async Task DisposeAsync()
    {
        await _gateway.StopAsync();
        await _gateway.DisposeAsync();
        await _mesh.DisposeAsync();
        _nats.Dispose();
    }

    public void Dispose() => _http.Dispose();

    [Fact]
    public async Task ANodeKilledHoldingCalls_CostsOnlyTheOneItStarted_AndThatOneNotTheGatewaysWholeTimeout()
    {
        using var dying = await NodeProcess.StartAsync(_mesh.Url, _mesh.Issuer.PublicKeyText, new Dictionary<string, string> { ["Mesh__Execution__Concurrency"] = "1" });
        using var staying = await NodeProcess.StartAsync(_mesh.Url, _mesh.Issuer.PublicKeyText);
        var probe = await HttpProbe.DeployAsync(_mesh);

        // Each call takes 1.5 s; its token gives it 4 s, so the gateway waits 5 s for an answer.
        var token = probe.Grant([$"GET http://127.0.0.1:{_http.Port}/"], new Limits(WallTimeMs: 4000));
        var body = HttpExchange.WriteRequest(new HttpExchange.Request("GET", $"http://127.0.0.1:{_http.Port}/wait/1500", [], []));
        using var client = new HttpClient { BaseAddress = new Uri(GatewayHost.Addresses(_gateway)[0]), Timeout = TimeSpan.FromSeconds(60) };

        const int Calls = 12;
        var clock = Stopwatch.StartNew();
        var calls = Enumerable.Range(0, Calls).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/fn/{HttpProbe.Function}") { Content = new ByteArrayContent(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await client.SendAsync(request);
            return (response.StatusCode, Seconds: clock.Elapsed.TotalSeconds);
        }).ToList();

        // The single-sandbox node has started one call and queued others: it dies.
        await Eventually.HoldsAsync(() => _http.Requests >= 2, "calls are running on both nodes");
        dying.Kill();
        var answers = await Task.WhenAll(calls);

        var failed = answers.Where(a => a.StatusCode != HttpStatusCode.OK).ToList();
        Assert.True(failed.Count <= 1, $"{failed.Count} of {Calls} calls failed: {string.Join(", ", failed)}");
        Assert.All(failed, f => Assert.Equal(HttpStatusCode.GatewayTimeout, f.StatusCode));
        Assert.True(answers.Max(a => a.Seconds) < 20, $"the last answer came after {answers.Max(a => a.Seconds):0.0} s (the gateway's timeout is 30 s)");

        // No call ran twice: the retried ones had not started on the node that died.
        var ok = answers.Count(a => a.StatusCode == HttpStatusCode.OK);
        Assert.InRange(_http.Requests, ok, Calls);
    }
}
