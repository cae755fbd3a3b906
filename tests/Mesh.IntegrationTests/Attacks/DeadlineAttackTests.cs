using System.Diagnostics;
using System.Text;
using Mesh.Cli.Local;
using Mesh.Contracts.HostCalls;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node;
using Mesh.Node.Capabilities;
using Mesh.Node.Chaining;
using Mesh.Node.Messaging;
using Mesh.Node.Sandbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.IntegrationTests.Attacks;

/// <summary>
/// Issue 11 §6: nothing a guest starts may outlive its invocation. Host calls that wait on NATS
/// (key-value, publish, request) during an outage end at the invocation's deadline, not at the
/// reconnection; and a node that stops while guests run (an endless loop, a slow HTTP call)
/// stops them at its drain timeout and tells their callers, instead of leaving them running.
/// </summary>
public sealed class DeadlineAttackTests
{
    [Fact]
    public async Task HostCallsDuringANatsOutage_EndAtTheInvocationsDeadline()
    {
        using var server = await NatsServerProcess.StartAsync();
        // The client's default: a publish while disconnected waits for the reconnection.
        await using var nats = new NatsConnection(new NatsOpts { Url = server.Url });
        await nats.ConnectAsync();
        var kvContext = new NatsKVContext(new NatsJSContext(nats));
        var bucket = await kvContext.CreateStoreAsync(new NatsKVConfig("outage"));
        await bucket.PutAsync("k", "v");

        var options = Options.Create(new NodeOptions());
        var stats = new NodeStats();
        var kv = new KvCapability(nats, stats, options, NullLogger<KvCapability>.Instance);
        var messaging = new MessagingCapability(nats, new HopTokens(), stats, TimeProvider.System, options, NullLogger<MessagingCapability>.Instance);
        var grant = Grant(CapabilitySet.None with
        {
            Kv = [.. new[] { "outage:get,put" }.Select(r => Mesh.Contracts.Tokens.Rules.RuleText.TryParseKv(r, out var rule, out _) ? rule! : throw new ArgumentException(r))],
            Publish = ["events.x"],
            Request = ["events.y"],
        });
        InvocationContext Context() => new(grant, default, EffectiveLimits.From(new Limits(WallTimeMs: 800), options.Value.Ceilings), "outage-1");
        var key = Encoding.UTF8.GetBytes("k");
        Assert.Equal(1, kv.Get(Context(), "outage"u8, key));

        // Gone for good: every call below can only end at its own deadline.
        server.Dispose();
        await Eventually.HoldsAsync(() => nats.ConnectionState != NatsConnectionState.Open, "the client sees the outage");

        var calls = new (string Name, Func<InvocationContext, int> Call)[]
        {
            ("kv_get", c => kv.Get(c, "outage"u8, key)),
            ("kv_put", c => kv.Put(c, "outage"u8, key, "w"u8)),
            ("publish", c => messaging.Publish(c, "events.x"u8, "x"u8)),
            ("request", c => messaging.Request(c, "events.y"u8, "x"u8, 60_000)),
        };
        foreach (var (name, call) in calls)
        {
            using var context = Context();
            var clock = Stopwatch.StartNew();
            var status = await Task.Run(() => call(context)).WaitAsync(TimeSpan.FromSeconds(5));
            Assert.True(status == HostStatus.Timeout, $"{name} returned {status} after {clock.ElapsedMilliseconds} ms");
        }
    }

    [Fact]
    public async Task AGuestRunningWhenTheNodeStops_IsStoppedAtTheDrainTimeout_AndItsCallerTold()
    {
        using var server = await NatsServerProcess.StartAsync();
        await using var mesh = await MeshCluster.StartAsync(server.Url, nodes: 0);
        var node = await mesh.StartNodeAsync(new Dictionary<string, string?> { ["Mesh:Execution:DrainTimeout"] = "00:00:00.5" });
        var loop = await mesh.DeployAsync(MeshCluster.Wat("loop"));
        var stats = node.Services.GetRequiredService<NodeStats>();

        // An endless loop with the node's full wall time (10 s) ahead of it.
        var call = mesh.CallAsync("loop", mesh.Grant("loop", loop, limits: new Limits(Fuel: long.MaxValue)), "x", timeout: TimeSpan.FromSeconds(20));
        await Eventually.HoldsAsync(() => stats.InFlight == 1, "the guest runs");
        var stopping = mesh.StopNodeAsync(node);

        // The code says who ended it: the drain (node.stopped), not the guest's own 10 s wall time
        // (function.timeout). The wait is only a bound, generous for a loaded machine.
        var reply = await call.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(ErrorCode.NodeStopped, reply.Code);
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, stats.InFlight);
    }

    [Fact]
    public async Task AGuestWaitingOnHttpWhenTheNodeStops_HasItsCallEnded_AndAnswers()
    {
        using var server = await NatsServerProcess.StartAsync();
        using var http = new LoopbackHttpServer();
        await using var mesh = await MeshCluster.StartAsync(server.Url, nodes: 0);
        var node = await mesh.StartNodeAsync(new Dictionary<string, string?> { ["Mesh:Execution:DrainTimeout"] = "00:00:00.5" });
        var probe = await HttpProbe.DeployAsync(mesh);
        var stats = node.Services.GetRequiredService<NodeStats>();

        // The server takes 3 s to answer; the node stops half a second into the wait.
        var call = probe.SendAsync(probe.Grant($"GET http://127.0.0.1:{http.Port}/"), "GET", $"http://127.0.0.1:{http.Port}/slow");
        await Eventually.HoldsAsync(() => stats.InFlight == 1, "the guest waits on HTTP");
        var stopping = mesh.StopNodeAsync(node);

        // The wait ends with the drain; the guest's failure after it is the stop's doing, said as
        // such (had the wait not ended, the server's answer after 3 s would have made it ok).
        var reply = await call.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(ErrorCode.NodeStopped.ToWire(), reply.Status);
        Assert.Contains("returned 5", reply.Message);
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static Grant Grant(CapabilitySet capabilities)
    {
        using var issuer = Mesh.Contracts.Keys.SigningKey.Generate();
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var module = Sha256Digest.Of([]);
        var token = TokenIssuer.Issue(issuer, new BlockClaims
        {
            TokenId = TokenIssuer.NewTokenId(),
            IssuedAt = now,
            Expires = now + 600,
            MaxDepth = 2,
            Functions = [new FunctionGrant("outage", [module], capabilities, Limits.None)],
        });
        var verifier = new TokenVerifier(new TokenVerifierOptions { TrustedRoots = [issuer.PublicKeyText] }, TimeProvider.System);
        return verifier.Verify(token.Value!, "outage", module).Value!;
    }
}
