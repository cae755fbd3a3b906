using Mesh.Cli.Local;
using Mesh.Contracts.HostCalls;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Mesh.IntegrationTests.Faults;

/// <summary>
/// How a node stops and starts, as an operator runs it: SIGTERM with a job in hand (it finishes,
/// or goes back to the stream at once), SIGTERM to a node that never reached NATS, <c>mesh node</c>
/// configured only by the environment, and <c>mesh call --retries</c> through NATS starting late.
/// Node processes, a real nats-server, a real HTTP server on loopback for jobs that take a while.
/// </summary>
public sealed class NodeStopTests : IAsyncLifetime, IDisposable
{
    private readonly LoopbackHttpServer _http = new();
    private NatsServerProcess _nats = null!;
    private MeshCluster _mesh = null!;
    private HttpProbe _probe = null!;

    public async Task InitializeAsync()
    {
        _nats = await NatsServerProcess.StartAsync();
        _mesh = await MeshCluster.StartAsync(_nats.Url, nodes: 0);
        _probe = await HttpProbe.DeployAsync(_mesh);
    }

    public async Task DisposeAsync()
    {
        await _mesh.DisposeAsync();
        _nats.Dispose();
    }

    public void Dispose() => _http.Dispose();

    private static Dictionary<string, string> Settings(string drain) => new()
    {
        ["Mesh__Execution__DrainTimeout"] = drain,
        ["Mesh__Jobs__AckWait"] = "00:01:00",
        ["Mesh__Ceilings__WallTimeMs"] = "20000",
    };

    [Fact]
    public async Task AJobRunningAtSigterm_FinishesWithinTheDrain_AndIsAcknowledged()
    {
        using var node = await NodeProcess.StartAsync(_mesh.Url, _mesh.Issuer.PublicKeyText, Settings("00:00:15"));
        await PublishJobAsync("/wait/2000");
        await Eventually.HoldsAsync(() => _http.Requests == 1, "the job reached the HTTP server");

        node.Terminate();
        await node.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, node.ExitCode);
        Assert.Equal(0L, await JobsLeftAsync());
        Assert.Equal(1, _http.Requests);
        Assert.Contains(node.Output, l => l.Contains("drained: 0 admitted call(s) left at exit", StringComparison.Ordinal));
        Assert.DoesNotContain(node.Output, l => l.Contains("handed back", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AJobThatWouldOutlastTheDrain_IsHandedBack_AndAnotherNodeRunsItAtOnce()
    {
        using var stopping = await NodeProcess.StartAsync(_mesh.Url, _mesh.Issuer.PublicKeyText, Settings("00:00:01"));
        await PublishJobAsync("/wait/4000");
        await Eventually.HoldsAsync(() => _http.Requests == 1, "the job reached the HTTP server");
        using var other = await NodeProcess.StartAsync(_mesh.Url, _mesh.Issuer.PublicKeyText, Settings("00:00:15"));

        stopping.Terminate();
        await stopping.WaitForExitAsync(TimeSpan.FromSeconds(20));

        // The ack wait is a minute: a second run within Eventually's 20 s came from the hand-back.
        await Eventually.HoldsAsync(() => _http.Requests == 2, "the other node ran the handed-back job");
        Assert.Contains(stopping.Output, l => l.Contains("handed back for another node", StringComparison.Ordinal));
        await Eventually.HoldsAsync(async () => await JobsLeftAsync() == 0, "the other node acknowledged it");
        Assert.Equal(0, stopping.ExitCode);
    }

    [Fact]
    public async Task CallsRoutedToANodeAsItStops_AreEachAnswered_NoneLost()
    {
        // Issue 27 §2: SIGTERM while calls pour in. What the server routed to the stopping node
        // before it processed the unsubscribe is served there; the rest go to the other node.
        using var stopping = await NodeProcess.StartAsync(_mesh.Url, _mesh.Issuer.PublicKeyText, Settings("00:00:15"));
        using var staying = await NodeProcess.StartAsync(_mesh.Url, _mesh.Issuer.PublicKeyText, Settings("00:00:15"));
        var token = _mesh.Grant("echo", await _mesh.DeployAsync(MeshCluster.Wat("echo")));
        var answered = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        await using var answers = await _mesh.Client.SubscribeCoreAsync<byte[]>("_INBOX.drain.>");
        var reading = Task.Run(async () =>
        {
            await foreach (var msg in answers.Msgs.ReadAllAsync())
            {
                answered[msg.Subject] = msg.Headers?[MeshHeaders.Status].ToString() ?? "?";
            }
        });
        await _mesh.Client.PingAsync();

        // Calls stream in steadily from before the SIGTERM until the node has left: some are
        // always on their way to it while it unsubscribes.
        var headers = new NatsHeaders { [MeshHeaders.Token] = token };
        var calls = 0;
        var publishing = Task.Run(async () =>
        {
            while (!stopping.HasExited || calls < 2000)
            {
                for (var i = 0; i < 100; i++)
                {
                    await _mesh.Client.PublishAsync("mesh.fn.echo", "x"u8.ToArray(), headers, $"_INBOX.drain.{calls++}");
                }

                await Task.Delay(1);
            }
        });
        await Eventually.HoldsAsync(() => Volatile.Read(ref calls) >= 1000, "calls are streaming in");
        stopping.Terminate();
        await stopping.WaitForExitAsync(TimeSpan.FromSeconds(30));
        await publishing;
        await Eventually.HoldsAsync(() => answered.Count == calls, $"every call is answered", TimeSpan.FromSeconds(30));
        Assert.All(answered.Values, status => Assert.Contains(status, new[] { "ok", "node.overloaded" }));
        Assert.Equal(0, stopping.ExitCode);
        _ = reading;
    }

    [Fact]
    public async Task ANodeThatNeverReachedNats_StopsAtOnceOnSigterm_WithoutACrash()
    {
        using var node = NodeProcess.Launch($"nats://127.0.0.1:{NatsServerProcess.FreePort()}", _mesh.Issuer.PublicKeyText, new Dictionary<string, string> { ["Logging__LogLevel__NATS"] = "Information" });
        await Eventually.HoldsAsync(() => node.Output.Any(l => l.Contains("connect NATS", StringComparison.Ordinal)), "the node tries to reach NATS");

        node.Terminate();
        await node.WaitForExitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, node.ExitCode);
        Assert.DoesNotContain(node.Output, l => l.Contains("crit", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal) && !l.Contains("SocketException", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MeshNode_TakesItsNatsUrlFromTheEnvironment_WhenNotGivenOne()
    {
        // Mesh__Nats__Url and Mesh__Tokens__TrustedRoots__0 in the environment, no --nats.
        using var node = NodeProcess.LaunchCli([], _mesh.Url, _mesh.Issuer.PublicKeyText);
        await node.ServingAsync(TimeSpan.FromSeconds(30));

        var reply = await _mesh.CallAsync("echo", _mesh.Grant("echo", await _mesh.DeployAsync(MeshCluster.Wat("echo"))), "from the environment");
        Assert.True(reply.IsOk, reply.ToString());
        Assert.Contains(node.Output, l => l.Contains(NatsUrl.Redact(_mesh.Url), StringComparison.Ordinal));
    }

    [Fact]
    public async Task ABackoffListFromTheEnvironment_ReplacesTheDefaultWaits()
    {
        using var node = await NodeProcess.StartAsync(_mesh.Url, _mesh.Issuer.PublicKeyText, new Dictionary<string, string>
        {
            ["Mesh__Jobs__Backoff__0"] = "00:00:00.100",
            ["Mesh__Jobs__MaxDeliveries"] = "3",
        });
        var fails = await _mesh.DeployAsync(MeshCluster.Wat("fails"));
        var ack = await new NatsJSContext(_mesh.Client).PublishAsync(JobSubjects.JobPrefix + "fails", "x"u8.ToArray(), headers: new NatsHeaders { [MeshHeaders.Token] = _mesh.Grant("fails", fails) });
        ack.EnsureSuccess();

        await Eventually.HoldsAsync(() => node.Output.Count(l => l.Contains("delivered again in", StringComparison.Ordinal)) == 2, "two retries");
        var waits = node.Output.Where(l => l.Contains("delivered again in", StringComparison.Ordinal)).Select(l => l[(l.LastIndexOf(' ') + 1)..]).ToArray();
        Assert.Equal(["00:00:00.1000000", "00:00:00.1000000"], waits);
    }

    [Fact]
    public async Task MeshCallWithRetries_RidesOutNatsStartingLate()
    {
        var port = NatsServerProcess.FreePort();
        var url = $"nats://127.0.0.1:{port}";
        var echo = MeshCluster.Wat("echo");
        var mesh = await MeshCluster.StartWithoutServerAsync(url);
        await using (mesh)
        {
            var token = mesh.Grant("echo", Sha256Digest.Of(echo));
            var call = Cli.RunAsync("call", "echo", "--token", token, "--data", "late", "--retries", "8", "--nats", url);
            Assert.False(call.IsCompleted);

            using var nats = await NatsServerProcess.StartAsync(port);
            await mesh.ConnectClientAsync();
            await mesh.DeclareAsync();
            await mesh.DeployAsync(echo);
            await mesh.StartNodeAsync();

            var (exit, printed, error) = await call;
            Assert.True(exit == 0, error);
            Assert.Equal("late", printed.Trim());
        }
    }

    private async Task PublishJobAsync(string path)
    {
        var token = _probe.Grant([$"GET http://127.0.0.1:{_http.Port}/"], new Limits(WallTimeMs: 20000));
        var request = HttpExchange.WriteRequest(new HttpExchange.Request("GET", $"http://127.0.0.1:{_http.Port}{path}", [], []));
        var ack = await new NatsJSContext(_mesh.Client).PublishAsync(JobSubjects.JobPrefix + HttpProbe.Function, request, headers: new NatsHeaders { [MeshHeaders.Token] = token });
        ack.EnsureSuccess();
    }

    private async Task<long> JobsLeftAsync() =>
        (long)(await new NatsJSContext(_mesh.Client).GetStreamAsync(JobSubjects.JobStream)).Info.State.Messages;
}
