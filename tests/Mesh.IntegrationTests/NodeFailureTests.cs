using System.Collections.Concurrent;
using Mesh.Cli.Local;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Messaging;
using NATS.Client.Core;

namespace Mesh.IntegrationTests;

/// <summary>
/// Scaling and faults, with a nats-server of their own so no other test's node is in the queue group.
/// Load here is bounded in count and time and stays on loopback.
/// </summary>
public sealed class NodeFailureTests : IAsyncLifetime
{
    private NatsServerProcess _nats = null!;
    private MeshCluster _mesh = null!;
    private Sha256Digest _echo;
    private string _token = "";

    public async Task InitializeAsync()
    {
        _nats = await NatsServerProcess.StartAsync();
        _mesh = await MeshCluster.StartAsync(_nats.Url, nodes: 0);
        _echo = await _mesh.DeployAsync(MeshCluster.Wat("echo"));
        _token = _mesh.Grant("echo", _echo);
    }

    public async Task DisposeAsync()
    {
        await _mesh.DisposeAsync();
        _nats.Dispose();
    }

    [Fact]
    public async Task TwoNodes_AnswerAThousandCalls_NoneLost_BothServing()
    {
        var first = await _mesh.StartNodeAsync();
        var second = await _mesh.StartNodeAsync();

        var results = await LoadAsync(calls: 1000, inFlight: 64, timeout: TimeSpan.FromSeconds(30));

        Assert.Equal(1000, results.Count(r => r.Ok));
        Assert.All(results, r => Assert.Equal($"call {r.Index}", r.Output));
        Assert.True(Stats(first).Invocations > 0, "the first node served nothing");
        Assert.True(Stats(second).Invocations > 0, "the second node served nothing");
    }

    [Fact]
    public async Task ANodeKilledMidLoad_TheOtherKeepsAnswering()
    {
        using var doomed = await NodeProcess.StartAsync(_nats.Url, _mesh.Issuer.PublicKeyText);
        using var survivor = await NodeProcess.StartAsync(_nats.Url, _mesh.Issuer.PublicKeyText);

        // Killed (SIGKILL) a third of the way through the load.
        var during = await LoadAsync(calls: 900, inFlight: 16, timeout: TimeSpan.FromSeconds(3), onProgress: done =>
        {
            if (done == 300)
            {
                doomed.Kill();
            }
        });

        // Core NATS is at-most-once: calls in flight on the killed node may fail, no more than that.
        Assert.True(doomed.HasExited);
        Assert.True(during.Count(r => !r.Ok) <= 16, $"{during.Count(r => !r.Ok)} calls failed during the kill");

        // Once the server has seen the node go, the survivor answers every call.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var after = await LoadAsync(calls: 500, inFlight: 16, timeout: TimeSpan.FromSeconds(5));
        Assert.All(after, r => Assert.True(r.Ok, r.Error));
    }

    [Fact]
    public async Task ANodeKilledMidLoad_CostsNothing_WhenIdempotentCallsAreRetried()
    {
        using var doomed = await NodeProcess.StartAsync(_nats.Url, _mesh.Issuer.PublicKeyText);
        using var survivor = await NodeProcess.StartAsync(_nats.Url, _mesh.Issuer.PublicKeyText);
        var client = new Mesh.Client.MeshClient(_mesh.Client);
        var options = new Mesh.Client.CallOptions { Timeout = TimeSpan.FromSeconds(2), Retries = 5, Backoff = TimeSpan.FromMilliseconds(100), Idempotent = true };
        var done = 0;

        var replies = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            var mine = new List<Mesh.Client.MeshReply>();
            int n;
            while ((n = Interlocked.Increment(ref done)) <= 600)
            {
                if (n == 200)
                {
                    doomed.Kill();
                }

                mine.Add(await client.CallAsync("echo", _token, "retried"u8.ToArray(), options));
            }

            return mine;
        }));

        Assert.True(doomed.HasExited);
        Assert.All(replies.SelectMany(r => r), r => Assert.True(r.IsOk, r.ToString()));
    }

    [Fact]
    public async Task ANodeStartedOnAnEmptyDisk_ServesTheSameFunctions()
    {
        using (var before = await NodeProcess.StartAsync(_nats.Url, _mesh.Issuer.PublicKeyText))
        {
            Assert.True((await _mesh.CallAsync("echo", _token, "before")).IsOk);
            before.Kill();
        }

        using var after = await NodeProcess.StartAsync(_nats.Url, _mesh.Issuer.PublicKeyText);
        Assert.Empty(Directory.EnumerateFileSystemEntries(after.Directory));
        var reply = await _mesh.CallAsync("echo", _token, "after a restart from nothing");

        Assert.True(reply.IsOk, reply.ToString());
        Assert.Equal("after a restart from nothing", reply.Output);
    }

    [Fact]
    public async Task SigTerm_FinishesTheCallInFlight_ThenExits()
    {
        var slow = await _mesh.DeployAsync(MeshCluster.Wat("spin-no-fuel-cost"));
        using var node = await NodeProcess.StartAsync(_nats.Url, _mesh.Issuer.PublicKeyText);

        var inFlight = _mesh.CallAsync("slow", _mesh.Grant("slow", slow, limits: new Limits(WallTimeMs: 1500)));
        await Task.Delay(400);
        node.Terminate();

        // The invocation ran to its own end (its wall-time limit) and was answered, not dropped.
        var reply = await inFlight;
        Assert.Equal(ErrorCode.FunctionTimeout.ToWire(), reply.Status);
        await node.WaitForExitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, node.ExitCode);
        Assert.Contains(node.Output, line => line.Contains("drained", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AFullNode_SaysOverloadedAtOnce_InsteadOfQueueingWithoutBound()
    {
        var node = await _mesh.StartNodeAsync(new Dictionary<string, string?>
        {
            ["Mesh:Execution:Concurrency"] = "1",
            ["Mesh:Execution:QueueLength"] = "0",
            ["Mesh:Ceilings:Fuel"] = "1000000000000",
        });
        var slow = await _mesh.DeployAsync(MeshCluster.Wat("spin-no-fuel-cost"));
        var busy = _mesh.CallAsync("slow", _mesh.Grant("slow", slow, limits: new Limits(WallTimeMs: 2000)));
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (Stats(node).InFlight == 0 && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(10);
        }

        var refused = await _mesh.CallAsync("echo", _token, "anyone?");

        Assert.Equal(ErrorCode.NodeOverloaded.ToWire(), refused.Status);
        Assert.Equal(ErrorCode.FunctionTimeout.ToWire(), (await busy).Status);
        Assert.True((await _mesh.CallAsync("echo", _token, "now")).IsOk);
        await _mesh.StopNodeAsync(node);
    }

    [Fact]
    public async Task ASlowFunction_DoesNotStarveTheOthers_WhenItsShareIsCapped()
    {
        var node = await _mesh.StartNodeAsync(new Dictionary<string, string?>
        {
            ["Mesh:Execution:Concurrency"] = "3",
            ["Mesh:Execution:MaxPerFunction"] = "2",
        });
        var loop = await _mesh.DeployAsync(MeshCluster.Wat("loop"));
        var slowToken = _mesh.Grant("slow", loop, limits: new Limits(WallTimeMs: 2000));

        // Five slow calls at once: two are admitted, three told to retry; a worker stays free.
        var slow = Enumerable.Range(0, 5).Select(_ => _mesh.CallAsync("slow", slowToken, "x")).ToList();
        await Task.Delay(300);
        var quick = await _mesh.CallAsync("echo", _token, "not starved");

        Assert.True(quick.IsOk, quick.ToString());

        // It did not wait for a slow call to free a worker: none had run out of time yet.
        Assert.DoesNotContain(slow, s => s.IsCompleted && s.Result.Code == ErrorCode.FunctionTimeout);
        var codes = (await Task.WhenAll(slow)).Select(r => r.Code).ToList();
        Assert.Equal(2, codes.Count(c => c == ErrorCode.FunctionTimeout));
        Assert.Equal(3, codes.Count(c => c == ErrorCode.NodeOverloaded));
        await _mesh.StopNodeAsync(node);
    }

    [Fact]
    public async Task AnInputLargerThanTheNodeAccepts_IsRefused()
    {
        await _mesh.StartNodeAsync(new Dictionary<string, string?> { ["Mesh:Execution:MaxInputBytes"] = "1000" });

        var reply = await _mesh.CallAsync("echo", _token, new string('x', 2000));

        Assert.Equal(ErrorCode.RequestTooLarge.ToWire(), reply.Status);
        Assert.True((await _mesh.CallAsync("echo", _token, "small")).IsOk);
    }

    private static NodeStats Stats(Microsoft.Extensions.Hosting.IHost node) =>
        (NodeStats)node.Services.GetService(typeof(NodeStats))!;

    private sealed record CallResult(int Index, bool Ok, string Output, string Error);

    private async Task<List<CallResult>> LoadAsync(int calls, int inFlight, TimeSpan timeout, Action<int>? onProgress = null)
    {
        var results = new ConcurrentBag<CallResult>();
        var done = 0;
        using var gate = new SemaphoreSlim(inFlight);
        var tasks = Enumerable.Range(0, calls).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var reply = await _mesh.CallAsync("echo", _token, $"call {i}", timeout: timeout);
                results.Add(new CallResult(i, reply.IsOk, reply.Output, reply.ToString()));
            }
            catch (NatsException e)
            {
                results.Add(new CallResult(i, false, "", e.GetType().Name + ": " + e.Message));
            }
            finally
            {
                gate.Release();
                onProgress?.Invoke(Interlocked.Increment(ref done));
            }
        });
        await Task.WhenAll(tasks);
        return [.. results];
    }
}
