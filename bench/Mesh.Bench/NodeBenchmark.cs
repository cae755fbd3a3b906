using System.Diagnostics;
using System.Text;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node;
using Mesh.Node.Messaging;
using Mesh.Node.Modules;
using Mesh.Node.Sandbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace Mesh.Bench;

/// <summary>
/// Mesh end to end against a plain NATS responder doing the same work (echo) natively, in one run:
/// same nats-server on loopback, same client, same payload, same concurrency. Also the sandbox cost
/// per invocation, and a module's first call (fetch and compile) against later ones.
/// </summary>
public static class NodeBenchmark
{
    private const int Payload = 64;

    public static async Task<string> RunAsync()
    {
        await using var mesh = await BenchMesh.StartAsync();
        var client = mesh.Client;
        await using var responder = await PlainResponder.StartAsync(mesh.Url);
        var token = mesh.Token(mesh.Grant("echo"));

        var meshHeaders = new NatsHeaders { [MeshHeaders.Token] = token };
        var rows = new List<string>();
        foreach (var (concurrency, calls) in new[] { (1, 3_000), (64, 30_000) })
        {
            var plain = await LoadAsync(client, "bench.plain", null, concurrency, calls);
            var carried = await LoadAsync(client, "bench.plain", meshHeaders, concurrency, calls);
            var node = await LoadAsync(client, "mesh.fn.echo", meshHeaders, concurrency, calls);
            rows.Add($"| {concurrency} | plain NATS responder (C#) | {plain.PerSecond:N0} | {plain.P50:N0} | {plain.P99:N0} | 1.00 |");
            rows.Add($"| {concurrency} | plain responder, same token header carried (not checked) | {carried.PerSecond:N0} | {carried.P50:N0} | {carried.P99:N0} | {carried.PerSecond / plain.PerSecond:0.00} |");
            rows.Add($"| {concurrency} | Mesh node (token + sandbox) | {node.PerSecond:N0} | {node.P50:N0} | {node.P99:N0} | **{node.PerSecond / plain.PerSecond:0.00}** |");
        }

        var sandbox = SandboxCost(mesh);
        var pipeline = await PipelineCostAsync(mesh.Node.Services, token);
        var (first, cached) = await FirstCallAsync(mesh);

        return $"""
            ## Node: calls end to end

            A request with a 64-byte body through nats-server on loopback, answered by either a plain
            C# NATS responder that echoes it (the baseline: no token, no sandbox) or a Mesh node that
            verifies the token (cached after the first call), runs `examples/wat/echo.wat` in a fresh
            Wasmtime store and replies. One client connection, requests in flight as given; the node
            runs with its default concurrency ({Environment.ProcessorCount * 2} on {Environment.ProcessorCount} cores). Latencies in microseconds.

            | in flight | responder | calls/s | p50 µs | p99 µs | Mesh/plain |
            |---:|---|---:|---:|---:|---:|
            {string.Join("\n", rows)}

            How to read it: the middle row sends the plain responder the same ~1 KB token header
            without checking it, which separates carrying the token from the node's work. The node's
            own path per message is measured on its own below. What remains of the gap at 64 in flight
            is the NATS side of the node (the micro-service endpoint's hand-off, the queue to the
            workers, replies with headers) competing for the same two cores as the client and the
            server. On this shared 2-core machine whole rows move by ±30% from run to run: compare rows
            of one run, not runs.

            Sandbox cost per invocation (new store with its context, limits, instantiate, `run`, copy
            out, dispose; no NATS): median **{sandbox.Median:0.0} µs**, mean {sandbox.Mean:0.0} µs over {sandbox.Count:N0} invocations.

            The whole per-message path inside the node without NATS (token text to grant through the
            cache, module from the cache, import check, sandbox, outcome): median **{pipeline.Median:0.0} µs**.
            The rest of a call's cost is NATS: receiving, the service endpoint's hand-off, the reply.

            A module's first call on a node (fetch from the object store, check its digest, compile)
            against its next calls (cached): median **{first:0.0} ms** first, **{cached:0.00} ms** cached, over 20 modules.

            {Machine.Describe()}
            """;
    }

    private static Task<LoadRun> LoadAsync(NatsConnection client, string subject, NatsHeaders? headers, int concurrency, int calls)
    {
        var payload = Encoding.ASCII.GetBytes(new string('x', Payload));
        return LoadRun.MeasureAsync(
            async () =>
            {
                var reply = await client.RequestAsync<byte[], NatsMemoryOwner<byte>>(subject, payload, headers);
                using var data = reply.Data;
                if (data.Memory.Length != payload.Length)
                {
                    throw new InvalidOperationException($"{subject} answered {data.Memory.Length} bytes: {reply.Headers?[MeshHeaders.Message]}");
                }
            },
            concurrency,
            calls);
    }

    private sealed record Cost(double Median, double Mean, int Count);

    private static Cost SandboxCost(BenchMesh mesh)
    {
        var services = mesh.Node.Services;
        var digest = mesh.Echo;
        var engine = services.GetRequiredService<WasmEngine>();
        var invoker = services.GetRequiredService<Invoker>();
        var options = services.GetRequiredService<IOptions<NodeOptions>>().Value;
        using var module = ModuleCompiler.Compile(engine, digest, mesh.EchoWasm).Value!;
        var verifier = new TokenVerifier(new TokenVerifierOptions { TrustedRoots = [mesh.Issuer.PublicKeyText] }, TimeProvider.System);
        var grant = verifier.Verify(mesh.TokenBytes(mesh.Grant("echo")), "echo", digest).Value!;
        var limits = EffectiveLimits.From(grant.Limits, options.Ceilings);
        var input = new byte[Payload];
        const int count = 20_000;
        var samples = new double[count];
        for (var i = -2_000; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var context = new InvocationContext(grant, input, limits, "bench");
            if (invoker.Invoke(module, context).Code != ErrorCode.None)
            {
                throw new InvalidOperationException("echo failed");
            }

            if (i >= 0)
            {
                samples[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            }
        }

        var mean = samples.Average();
        Array.Sort(samples);
        return new Cost(samples[count / 2], mean, count);
    }

    private static async Task<Cost> PipelineCostAsync(IServiceProvider services, string token)
    {
        var pipeline = services.GetRequiredService<InvocationPipeline>();
        var input = new byte[Payload];
        const int count = 20_000;
        var samples = new double[count];
        for (var i = -2_000; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var outcome = await pipeline.RunAsync("mesh.fn.echo", token, null, input, CancellationToken.None);
            if (!outcome.IsOk)
            {
                throw new InvalidOperationException(outcome.Error.ToString());
            }

            if (i >= 0)
            {
                samples[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            }
        }

        var mean = samples.Average();
        Array.Sort(samples);
        return new Cost(samples[count / 2], mean, count);
    }

    private static async Task<(double FirstMs, double CachedMs)> FirstCallAsync(BenchMesh mesh)
    {
        var first = new List<double>();
        var cached = new List<double>();
        var text = BenchMesh.EchoText;
        for (var i = 0; i < 20; i++)
        {
            // A distinct module each time: same code, a data segment that changes its digest.
            var wasm = Wasmtime.Module.ConvertText(text.Replace("(memory (export \"memory\") 1)", $"(memory (export \"memory\") 1) (data (i32.const 0) \"variant {i} {Guid.NewGuid()}\")", StringComparison.Ordinal));
            var digest = Sha256Digest.Of(wasm);
            await mesh.Store.PutAsync(ModuleStore.ObjectName(digest), wasm);
            var headers = new NatsHeaders { [MeshHeaders.Token] = mesh.Token(mesh.Grant($"echo-{i}", digest)) };
            for (var call = 0; call < 2; call++)
            {
                var started = Stopwatch.GetTimestamp();
                var reply = await mesh.Client.RequestAsync<byte[], byte[]>($"mesh.fn.echo-{i}", "x"u8.ToArray(), headers);
                if (reply.Headers?[MeshHeaders.Status].ToString() != "ok")
                {
                    throw new InvalidOperationException($"echo-{i}: {reply.Headers?[MeshHeaders.Message]}");
                }

                (call == 0 ? first : cached).Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        first.Sort();
        cached.Sort();
        return (first[first.Count / 2], cached[cached.Count / 2]);
    }

    /// <summary>The baseline: a plain NATS responder that echoes, as anyone would write it.</summary>
    private sealed class PlainResponder : IAsyncDisposable
    {
        private readonly NatsConnection _connection;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        private PlainResponder(NatsConnection connection, INatsSub<NatsMemoryOwner<byte>> subscription)
        {
            _connection = connection;
            _loop = Task.Run(async () =>
            {
                await foreach (var msg in subscription.Msgs.ReadAllAsync(_stop.Token))
                {
                    using var data = msg.Data;
                    await msg.ReplyAsync(data.Memory);
                }
            });
        }

        public static async Task<PlainResponder> StartAsync(string url)
        {
            var connection = new NatsConnection(new NatsOpts { Url = url });
            var subscription = await connection.SubscribeCoreAsync<NatsMemoryOwner<byte>>("bench.plain", queueGroup: "plain");
            return new PlainResponder(connection, subscription);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
            }

            await _connection.DisposeAsync();
            _stop.Dispose();
        }
    }
}
