using Mesh.Cli.Local;
using Mesh.Client;
using Mesh.Contracts.Tokens;
using Mesh.Node.Messaging;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.IntegrationTests;

/// <summary>NATS going away under a running mesh, and a mesh started before NATS: nodes recover by themselves.</summary>
public sealed class NatsFaultTests
{
    [Fact]
    public async Task TheServerRestartedDuringLoad_NodesReconnectAndResume_WithoutARestart()
    {
        using var nats = await NatsServerProcess.StartAsync();
        await using var mesh = await MeshCluster.StartAsync(nats.Url, nodes: 2);
        var echo = await mesh.DeployAsync(MeshCluster.Wat("echo"));
        var token = mesh.Grant("echo", echo);
        var client = new MeshClient(mesh.Client);
        var options = new CallOptions { Timeout = TimeSpan.FromSeconds(2), Retries = 10, Backoff = TimeSpan.FromMilliseconds(200), Idempotent = true };
        var served = mesh.Nodes.Select(n => n.Services.GetRequiredService<NodeStats>()).ToArray();

        using var stop = new CancellationTokenSource();
        var failures = 0;
        var successes = 0;
        var load = Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                var reply = await client.CallAsync("echo", token, "through a restart"u8.ToArray(), options);
                Interlocked.Increment(ref reply.IsOk ? ref successes : ref failures);
            }
        }));
        await Task.Delay(500);

        await nats.RestartAsync(downtime: TimeSpan.FromMilliseconds(500));
        var before = served.Select(s => s.Invocations).ToArray();
        await Task.Delay(3000);
        await stop.CancelAsync();
        await load;

        // Both nodes took calls after the restart, without being restarted themselves.
        Assert.All(served.Zip(before), pair => Assert.True(pair.First.Invocations > pair.Second, "a node served nothing after the restart"));
        Assert.True(successes > 0);
        Assert.Equal(0, failures);
    }

    [Fact]
    public async Task ANodeStartedBeforeNats_ServesOnceItComes()
    {
        var port = NatsServerProcess.FreePort();
        await using var mesh = await MeshCluster.StartWithoutServerAsync($"nats://127.0.0.1:{port}");
        var starting = mesh.StartNodeAsync();
        await Task.Delay(1000);
        Assert.False(starting.IsCompleted, "the node said ready with no NATS to serve on");

        using var nats = await NatsServerProcess.StartAsync(port);
        await mesh.ConnectClientAsync();
        await mesh.DeclareAsync();
        await starting;
        var echo = await mesh.DeployAsync(MeshCluster.Wat("echo"));

        var reply = await mesh.CallAsync("echo", mesh.Grant("echo", echo), "late server");

        Assert.True(reply.IsOk, reply.ToString());
    }
}
