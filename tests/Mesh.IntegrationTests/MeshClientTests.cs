using Mesh.Cli.Local;
using Mesh.Client;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Messaging;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.IntegrationTests;

/// <summary>
/// The client's retries against real nodes: what no node admitted is tried again, what may have
/// run only when the caller says it is idempotent, and token errors never. Own nats-server: these
/// tests start and stop nodes.
/// </summary>
public sealed class MeshClientTests : IAsyncLifetime
{
    private NatsServerProcess _nats = null!;
    private MeshCluster _mesh = null!;
    private Sha256Digest _echo;
    private Sha256Digest _loop;

    public async Task InitializeAsync()
    {
        _nats = await NatsServerProcess.StartAsync();
        _mesh = await MeshCluster.StartAsync(_nats.Url, nodes: 0);
        _echo = await _mesh.DeployAsync(MeshCluster.Wat("echo"));
        _loop = await _mesh.DeployAsync(MeshCluster.Wat("loop"));
    }

    public async Task DisposeAsync()
    {
        await _mesh.DisposeAsync();
        _nats.Dispose();
    }

    private MeshClient Client => new(_mesh.Client);

    [Fact]
    public async Task NoNodeYet_IsRetried_UntilOneServes()
    {
        var call = Client.CallAsync("echo", _mesh.Grant("echo", _echo), "waited"u8.ToArray(), new CallOptions { Retries = 8, Backoff = TimeSpan.FromMilliseconds(200) });
        await Task.Delay(300);
        await _mesh.StartNodeAsync();

        var reply = await call;

        Assert.True(reply.IsOk, reply.ToString());
        Assert.True(reply.Attempts > 1, $"{reply.Attempts} attempts");
    }

    [Fact]
    public async Task NoNodeAtAll_EndsAsUnavailable_AfterEveryRetry()
    {
        var reply = await Client.CallAsync("echo", _mesh.Grant("echo", _echo), "x"u8.ToArray(), new CallOptions { Retries = 2, Backoff = TimeSpan.FromMilliseconds(10) });

        Assert.Equal((ErrorCode.NodeUnavailable, 3), (reply.Code, reply.Attempts));
    }

    [Fact]
    public async Task ATokenError_IsNeverRetried()
    {
        await _mesh.StartNodeAsync();

        var reply = await Client.CallAsync("other", _mesh.Grant("echo", _echo), "x"u8.ToArray(), new CallOptions { Retries = 5, Idempotent = true });

        Assert.Equal((ErrorCode.TokenWrongSubject, 1), (reply.Code, reply.Attempts));
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 3)]
    public async Task ATimeout_IsRetriedOnlyWhenTheCallIsIdempotent(bool idempotent, int attempts)
    {
        // Something that takes calls and never answers: a node that died holding them looks the same.
        await using var blackhole = await _mesh.Client.SubscribeCoreAsync<byte[]>("mesh.fn.blackhole");
        await _mesh.Client.PingAsync();

        var reply = await Client.CallAsync("blackhole", _mesh.Grant("blackhole", _echo), "x"u8.ToArray(), new CallOptions
        {
            Timeout = TimeSpan.FromMilliseconds(200),
            Retries = 2,
            Backoff = TimeSpan.FromMilliseconds(10),
            Idempotent = idempotent,
        });

        Assert.Equal((ErrorCode.RequestTimeout, attempts), (reply.Code, reply.Attempts));

        // Delivery to the black hole may trail the client's giving up on a busy machine: wait for
        // the attempts to arrive, then make sure no more did.
        var received = 0;
        await Eventually.HoldsAsync(
            () =>
            {
                while (blackhole.Msgs.TryRead(out _))
                {
                    received++;
                }

                return received >= attempts;
            },
            $"{attempts} attempt(s) reach the subscriber");
        await _mesh.Client.PingAsync();
        Assert.False(blackhole.Msgs.TryRead(out _), "more attempts than the client reported");
        Assert.Equal(attempts, received);
    }

    [Fact]
    public async Task ACallThatMustStartSoon_HearsItStarted_ThenItsAnswer_AndIsNotStartedLate()
    {
        await _mesh.StartNodeAsync(new Dictionary<string, string?> { ["Mesh:Execution:Concurrency"] = "1" });
        var within = new CallOptions { StartWithin = TimeSpan.FromMilliseconds(300), Retries = 0 };

        // Started at once: the answer comes after the notice, as any answer.
        var reply = await Client.CallAsync("echo", _mesh.Grant("echo", _echo), "soon"u8.ToArray(), within);
        Assert.True(reply.IsOk && reply.Output.Span.SequenceEqual("soon"u8), reply.ToString());

        // Behind a call that holds the node's one sandbox for 2 s: not started in time, so not run,
        // and the caller knows it is free to try elsewhere.
        var loop = Client.CallAsync("loop", _mesh.Grant("loop", _loop, limits: new Limits(WallTimeMs: 2000)), "x"u8.ToArray(), new CallOptions { Retries = 0 });
        await Eventually.HoldsAsync(() => _mesh.Nodes[0].Services.GetRequiredService<NodeStats>().InFlight == 1, "the loop holds the sandbox");
        var late = await Client.CallAsync("echo", _mesh.Grant("echo", _echo), "late"u8.ToArray(), within);
        Assert.Equal(ErrorCode.NodeUnavailable, late.Code);
        await loop;
        await Eventually.HoldsAsync(() => _mesh.Nodes[0].Services.GetRequiredService<NodeStats>().ErrorsOf(ErrorCode.NodeOverloaded) == 1, "the node did not start it late");

        // A start deadline that is not a number is refused as such.
        var headers = new NATS.Client.Core.NatsHeaders { [MeshHeaders.Token] = _mesh.Grant("echo", _echo), [MeshHeaders.StartWithin] = "soon" };
        var malformed = Reply.From(await _mesh.Client.RequestAsync<byte[], byte[]>("mesh.fn.echo", "x"u8.ToArray(), headers));
        Assert.Equal(ErrorCode.RequestMalformed, malformed.Code);
    }

    [Fact]
    public async Task AnOverloadedNode_IsRetried_AndTheCallGetsThrough()
    {
        var node = await _mesh.StartNodeAsync(new Dictionary<string, string?> { ["Mesh:Execution:Concurrency"] = "1", ["Mesh:Execution:QueueLength"] = "0" });
        var stats = node.Services.GetRequiredService<NodeStats>();
        var busy = _mesh.CallAsync("slow", _mesh.Grant("slow", _loop, limits: new Limits(WallTimeMs: 1500)), "x");
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (stats.InFlight == 0 && waited.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(5);
        }

        var reply = await Client.CallAsync("echo", _mesh.Grant("echo", _echo), "through"u8.ToArray(), new CallOptions { Retries = 6, Backoff = TimeSpan.FromMilliseconds(200) });

        Assert.True(reply.IsOk, reply.ToString());
        Assert.True(reply.Attempts > 1, $"{reply.Attempts} attempts: the node was never overloaded");
        Assert.Equal(ErrorCode.FunctionTimeout, (await busy).Code);
    }
}
