using System.Diagnostics;
using Mesh.Cli.Local;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node;
using Mesh.Node.Messaging;
using Mesh.Node.Modules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.ObjectStore;

namespace Mesh.Bench;

/// <summary>
/// A 3-step declared chain (a → b → c, each running echo) against the client making the same three
/// calls itself, feeding each output to the next: same node, same server, same payload, one run.
/// </summary>
public static class ChainBenchmark
{
    private const int Payload = 64;

    public static async Task<string> RunAsync()
    {
        using var server = await NatsServerProcess.StartAsync();
        using var issuer = SigningKey.Generate();
        await using var client = new NatsConnection(new NatsOpts { Url = server.Url, RequestReplyMode = NatsRequestReplyMode.Direct });
        await client.ConnectAsync();
        using var node = NodeHost.Build([], new Dictionary<string, string?>
        {
            ["Mesh:Nats:Url"] = server.Url,
            ["Mesh:Tokens:TrustedRoots:0"] = issuer.PublicKeyText,
            ["Logging:LogLevel:Default"] = "Warning",
        });
        await node.StartAsync();
        await node.Services.GetServices<IHostedService>().OfType<FunctionService>().Single().Ready;

        var echo = Wasmtime.Module.ConvertText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "modules", "echo.wat")));
        var store = await new NatsObjContext(new NatsJSContext(client)).CreateObjectStoreAsync(new NatsObjConfig("mesh-modules"));
        var digest = Sha256Digest.Of(echo);
        await store.PutAsync(ModuleStore.ObjectName(digest), echo);

        FunctionGrant Echo(string name, params string[] then) => new(name, [digest], CapabilitySet.None, new Limits(Fuel: 10_000_000)) { Then = [.. then] };
        var chained = new NatsHeaders { [MeshHeaders.Token] = Token(issuer, Echo("a", "b"), Echo("b", "c"), Echo("c")) };
        var budgeted = new NatsHeaders { [MeshHeaders.Token] = chained[MeshHeaders.Token], [MeshHeaders.Budget] = "5000" };
        var direct = new NatsHeaders { [MeshHeaders.Token] = Token(issuer, Echo("a"), Echo("b"), Echo("c")) };
        var payload = new byte[Payload];

        async Task Chain() => Check(await client.RequestAsync<byte[], byte[]>("mesh.fn.a", payload, chained));
        async Task BudgetedChain() => Check(await client.RequestAsync<byte[], byte[]>("mesh.fn.a", payload, budgeted));
        async Task ThreeCalls()
        {
            var data = payload;
            foreach (var function in new[] { "a", "b", "c" })
            {
                var reply = await client.RequestAsync<byte[], byte[]>($"mesh.fn.{function}", data, direct);
                Check(reply);
                data = reply.Data!;
            }
        }

        var rows = new List<string>();
        foreach (var (concurrency, runs) in new[] { (1, 2_000), (16, 8_000) })
        {
            var calls = await MeasureAsync(ThreeCalls, concurrency, runs);
            var chain = await MeasureAsync(Chain, concurrency, runs);
            var budget = await MeasureAsync(BudgetedChain, concurrency, runs);
            rows.Add($"| {concurrency} | client makes the three calls | {calls.PerSecond:N0} | {calls.P50:N0} | {calls.P99:N0} | 1.00 |");
            rows.Add($"| {concurrency} | declared chain a → b → c | {chain.PerSecond:N0} | {chain.P50:N0} | {chain.P99:N0} | **{chain.PerSecond / calls.PerSecond:0.00}** |");
            rows.Add($"| {concurrency} | the same chain with `Mesh-Budget: 5000` | {budget.PerSecond:N0} | {budget.P50:N0} | {budget.P99:N0} | {budget.PerSecond / calls.PerSecond:0.00} |");
        }

        await node.StopAsync();
        return $"""
            ## Chains: a 3-step chain against three direct calls

            The same work two ways: the client calls `a`, `b` and `c` itself (three round trips,
            each answer fed to the next call), or calls `a` once with a token whose grant declares
            `a → b → c`, and the node hands each output on. Every step runs `examples/wat/echo.wat`
            with a 64-byte body on one node. "Chains/s" counts whole chains; latencies are per chain
            in microseconds.

            | in flight | how | chains/s | p50 µs | p99 µs | chain/direct |
            |---:|---|---:|---:|---:|---:|
            {string.Join("\n", rows)}

            What a hop costs: the node appends a block to the token (an Ed25519 signature, about
            150 µs) and the next step verifies the new token (about 100 µs per block). Both are paid
            once per token, target and expiry: the node keeps the hop tokens it made, so the next
            node's verified-token cache knows them too. Without a budget a hop expires with its
            token, so the steady state signs nothing. With a budget the hop expires with the budget
            (whole seconds), so each second brings one new hop token per step. Direct calls present
            one cached token, but pay a round trip to the client per step.

            {Machine.Describe()}
            """;
    }

    private static void Check(NatsMsg<byte[]> reply)
    {
        if (reply.Headers?[MeshHeaders.Status].ToString() != "ok" || reply.Data?.Length != Payload)
        {
            throw new InvalidOperationException($"chain failed: {reply.Headers?[MeshHeaders.Status]} {reply.Headers?[MeshHeaders.Message]}");
        }
    }

    private static string Token(SigningKey issuer, params FunctionGrant[] functions)
    {
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        return TokenCodec.ToText(TokenIssuer.Issue(issuer, new BlockClaims
        {
            TokenId = TokenIssuer.NewTokenId(),
            IssuedAt = now,
            Expires = now + 3600,
            MaxDepth = 4,
            Functions = [.. functions],
        }).Value!);
    }

    private sealed record Load(double PerSecond, double P50, double P99);

    private static async Task<Load> MeasureAsync(Func<Task> operation, int concurrency, int runs)
    {
        await RunAsync(operation, concurrency, Math.Min(500, runs / 4));
        return await RunAsync(operation, concurrency, runs);
    }

    private static async Task<Load> RunAsync(Func<Task> operation, int concurrency, int runs)
    {
        var latencies = new double[runs];
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < runs)
            {
                var started = Stopwatch.GetTimestamp();
                await operation();
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            }
        }));
        var elapsed = clock.Elapsed;
        Array.Sort(latencies);
        return new Load(runs / elapsed.TotalSeconds, latencies[runs / 2], latencies[(int)(runs * 0.99)]);
    }
}
