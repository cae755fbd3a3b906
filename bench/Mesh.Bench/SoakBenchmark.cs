using System.Diagnostics;
using Mesh.Contracts.Wire;
using Mesh.Node.Messaging;
using Mesh.Node.Modules;
using Mesh.Node.Tokens;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.Core;

namespace Mesh.Bench;

/// <summary>
/// A bounded soak: 100,000 invocations (or five minutes, whichever ends first) across two nodes on
/// loopback, with a mix of cached tokens, fresh tokens (verified and cached) and refusals, and
/// memory before and after. Counts what was lost: calls that got no answer, or a wrong one.
/// </summary>
public static class SoakBenchmark
{
    private const int Invocations = 100_000;
    private const int InFlight = 32;
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    public static async Task<string> RunAsync()
    {
        await using var mesh = await BenchMesh.StartAsync(nodeCount: 2);
        var payload = new byte[64];
        var cached = new NatsHeaders { [MeshHeaders.Token] = mesh.Token(mesh.Grant("echo")) };
        var refused = new NatsHeaders { [MeshHeaders.Token] = mesh.Token(mesh.Grant("other")) };

        // Warm up, then measure from a collected heap.
        await RunAsync(mesh, payload, cached, refused, 2_000, TimeSpan.FromMinutes(1), freshTokens: true);
        var (heapBefore, setBefore) = Memory();
        var clock = Stopwatch.StartNew();
        var result = await RunAsync(mesh, payload, cached, refused, Invocations, Limit, freshTokens: true);
        var elapsed = clock.Elapsed;
        var (heapAfter, setAfter) = Memory();

        // The same load again with no new tokens: whatever still grows is not a cache.
        var again = await RunAsync(mesh, payload, cached, refused, Invocations, Limit, freshTokens: false);
        var (heapAgain, setAgain) = Memory();
        var served = mesh.Nodes.Select(n => n.Services.GetRequiredService<NodeStats>().Invocations).ToArray();
        var tokenCache = mesh.Nodes.Sum(n => n.Services.GetRequiredService<VerifiedTokenCache>().Count);
        var moduleCache = mesh.Nodes.Sum(n => n.Services.GetRequiredService<ModuleCache>().Count);

        return $"""
            ## Soak: {result.Sent:N0} invocations across two nodes

            A bounded load test on loopback: {result.Sent:N0} calls (stopping early only at {Limit.TotalMinutes:0} minutes)
            with {InFlight} in flight, to two nodes sharing the queue group. Nine calls in ten present one
            cached token, one in twenty a token never seen before (verified, then cached), and one in
            twenty a token for another function (refused, `token.wrong_subject`). Memory is measured
            after a warm-up and again at the end, each after a full collection, for the whole process
            (client, both nodes, and their caches).

            | | |
            |---|---:|
            | calls sent | {result.Sent:N0} |
            | answered as expected | {result.Expected:N0} |
            | **lost** (no answer, or not the expected one) | **{result.Sent - result.Expected:N0}** |
            | time | {elapsed.TotalSeconds:0.0} s ({result.Sent / elapsed.TotalSeconds:N0} calls/s) |
            | served by each node (warm-up and both runs) | {string.Join(" / ", served.Select(s => s.ToString("N0")))} |
            | managed heap before → after | {heapBefore / 1e6:0.0} MB → {heapAfter / 1e6:0.0} MB |
            | working set before → after | {setBefore / 1e6:0.0} MB → {setAfter / 1e6:0.0} MB |
            | heap growth per token now cached | {(heapAfter - heapBefore) / (double)Math.Max(1, tokenCache) / 1024:0.0} KiB |
            | then {again.Sent:N0} more calls with no new token: lost | **{again.Sent - again.Expected:N0}** |
            | managed heap → after those | {heapAfter / 1e6:0.0} MB → {heapAgain / 1e6:0.0} MB |
            | working set → after those | {setAfter / 1e6:0.0} MB → {setAgain / 1e6:0.0} MB |
            | verified tokens cached (both nodes, bound 10,000 each) | {tokenCache:N0} |
            | modules cached (both nodes) | {moduleCache:N0} |

            The heap after the first run holds the token caches: {result.FreshTokens:N0} fresh tokens went
            through them, and each node keeps at most 10,000 (`Mesh__TokenCache__Capacity`), so growth
            stops there. The second run brings no new token, so anything that grew then would be a leak.

            {Machine.Describe()}
            """;
    }

    private sealed record Outcome(int Sent, int Expected, int FreshTokens);

    private static async Task<Outcome> RunAsync(BenchMesh mesh, byte[] payload, NatsHeaders cached, NatsHeaders refused, int calls, TimeSpan limit, bool freshTokens)
    {
        var sent = 0;
        var expected = 0;
        var fresh = 0;
        var deadline = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, InFlight).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref sent)) <= calls && deadline.Elapsed < limit)
            {
                var kind = i % 20;
                var headers = kind switch
                {
                    0 => refused,
                    1 when freshTokens => new NatsHeaders { [MeshHeaders.Token] = mesh.Token(mesh.Grant("echo")) },
                    _ => cached,
                };
                if (kind == 1 && freshTokens)
                {
                    Interlocked.Increment(ref fresh);
                }

                try
                {
                    var reply = await mesh.Client.RequestAsync<byte[], byte[]>("mesh.fn.echo", payload, headers, replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(10) });
                    var status = reply.Headers?[MeshHeaders.Status].ToString();
                    var ok = kind == 0 ? status == ErrorCode.TokenWrongSubject.ToWire() : status == "ok" && reply.Data?.Length == payload.Length;
                    if (ok)
                    {
                        Interlocked.Increment(ref expected);
                    }
                }
                catch (NatsException)
                {
                    // Counted as lost below: sent, never answered as expected.
                }
            }
        }));
        return new Outcome(Math.Min(sent - InFlight, calls), expected, fresh);
    }

    private static (long Heap, long WorkingSet) Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), process.WorkingSet64);
    }
}
