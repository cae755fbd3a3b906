using Mesh.Cli.Local;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Messaging;
using Mesh.Node.Modules;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.ObjectStore;

namespace Mesh.IntegrationTests;

/// <summary>
/// Beyond one machine: deploy/nats-cluster/nats.conf run as three nats-server processes on
/// loopback, the caller on the first server and a node on each of the other two, so every call
/// crosses servers; then one server is stopped mid-load.
/// </summary>
public sealed class NatsClusterTests : IAsyncLifetime
{
    private readonly List<NatsServerProcess> _servers = [];
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _failures = new();
    private MeshCluster _mesh = null!;

    public async Task InitializeAsync()
    {
        _servers.AddRange(await ThreeNatsServers.StartAsync());

        _mesh = await MeshCluster.StartAsync(_servers[0].Url, nodes: 0, declare: false);
        await WithRetryAsync(async () =>
        {
            await _mesh.DeclareAsync(replicas: 3);
            return true;
        });
    }

    public async Task DisposeAsync()
    {
        await _mesh.DisposeAsync();
        foreach (var server in _servers)
        {
            server.Dispose();
        }
    }

    [Fact]
    public async Task CallsCrossServers_AndSurviveAServerStoppedMidLoad()
    {
        // Modules replicated on all three servers, as docs/operations.md advises for a cluster.
        var store = await WithRetryAsync(() => new NatsObjContext(new NatsJSContext(_mesh.Client))
            .CreateObjectStoreAsync(new NatsObjConfig("mesh-modules") { NumberOfReplicas = 3 }).AsTask());
        var echo = MeshCluster.Wat("echo");
        var digest = Sha256Digest.Of(echo);
        await store.PutAsync(ModuleStore.ObjectName(digest), echo);
        var nearSecond = await _mesh.StartNodeAsync(new Dictionary<string, string?> { ["Mesh:Nats:Url"] = _servers[1].Url });
        // Listing servers, as deploy/nats-cluster/docker-compose.yml does: the first is where it connects.
        var nearThird = await _mesh.StartNodeAsync(new Dictionary<string, string?> { ["Mesh:Nats:Url"] = $"{_servers[2].Url},{_servers[1].Url}" });
        var token = _mesh.Grant("echo", digest);

        // Every call goes client -> n1 -> n2 or n3 -> node, and back.
        var before = await LoadAsync(token, calls: 200);
        Assert.Equal(200, before.Ok);
        var servedByThird = Served(nearThird);
        Assert.True(Served(nearSecond) > 0 && servedByThird > 0, $"served: {Served(nearSecond)} and {servedByThird}");

        // Stop the third server while calls are in flight; its node must reconnect to another.
        var load = LoadAsync(token, calls: 3000);
        await Task.WhenAny(load, Task.Delay(300));
        if (load.IsCompleted)
        {
            var (ok, failed) = await load;
            Assert.Fail($"the load ended before the server was stopped: {ok} ok, {failed} failed ({string.Join(", ", _failures.Distinct())})");
        }

        _servers[2].Dispose();
        var during = await load;

        var after = await LoadAsync(token, calls: 200);
        Assert.True(during.Ok + during.Failed == 3000 && during.Ok > 2000, $"{during.Ok} ok, {during.Failed} failed");
        Assert.Equal(200, after.Ok);
        Assert.True(Served(nearThird) > servedByThird, "the node whose server stopped never served again");
    }

    private static long Served(Microsoft.Extensions.Hosting.IHost node) => node.Services.GetRequiredService<NodeStats>().Invocations;

    // Calls, 8 in flight; a failure is a timeout or no responders while a server goes away, never a wrong answer.
    private async Task<(int Ok, int Failed)> LoadAsync(string token, int calls)
    {
        var ok = 0;
        var failed = 0;
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= calls)
            {
                try
                {
                    var reply = await _mesh.CallAsync("echo", token, "across", timeout: TimeSpan.FromSeconds(3));
                    Assert.True(reply.IsOk && reply.Output == "across", reply.ToString());
                    Interlocked.Increment(ref ok);
                }
                catch (Exception e) when (e is NatsNoReplyException or NatsNoRespondersException)
                {
                    Interlocked.Increment(ref failed);
                    _failures.Enqueue(e.GetType().Name);
                }
            }
        }));
        return (ok, failed);
    }

    // JetStream in a new cluster answers once it has elected a meta leader.
    private static async Task<T> WithRetryAsync<T>(Func<Task<T>> operation)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await operation();
            }
            catch (NatsJSApiException) when (waited.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(200);
            }
            catch (NatsJSException) when (waited.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(200);
            }
        }
    }
}
