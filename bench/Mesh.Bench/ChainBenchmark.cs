using Mesh.Contracts.Wire;
using NATS.Client.Core;

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
        await using var mesh = await BenchMesh.StartAsync();
        var client = mesh.Client;
        var chained = new NatsHeaders { [MeshHeaders.Token] = mesh.Token(mesh.Grant("a", then: "b"), mesh.Grant("b", then: "c"), mesh.Grant("c")) };
        var budgeted = new NatsHeaders { [MeshHeaders.Token] = chained[MeshHeaders.Token], [MeshHeaders.Budget] = "5000" };
        var direct = new NatsHeaders { [MeshHeaders.Token] = mesh.Token(mesh.Grant("a"), mesh.Grant("b"), mesh.Grant("c")) };
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

        // Every path warmed (JIT tiers, caches, hop tokens) before any is measured, so order does not matter.
        foreach (var operation in new[] { ThreeCalls, Chain, BudgetedChain })
        {
            await LoadRun.MeasureAsync(operation, 4, 3_000);
        }

        var rows = new List<string>();
        foreach (var (concurrency, runs) in new[] { (1, 2_000), (16, 8_000) })
        {
            var calls = await LoadRun.MeasureAsync(ThreeCalls, concurrency, runs);
            var chain = await LoadRun.MeasureAsync(Chain, concurrency, runs);
            var budget = await LoadRun.MeasureAsync(BudgetedChain, concurrency, runs);
            rows.Add($"| {concurrency} | client makes the three calls | {calls.PerSecond:N0} | {calls.P50:N0} | {calls.P99:N0} | 1.00 |");
            rows.Add($"| {concurrency} | declared chain a → b → c | {chain.PerSecond:N0} | {chain.P50:N0} | {chain.P99:N0} | **{chain.PerSecond / calls.PerSecond:0.00}** |");
            rows.Add($"| {concurrency} | the same chain with `Mesh-Budget: 5000` | {budget.PerSecond:N0} | {budget.P50:N0} | {budget.P99:N0} | {budget.PerSecond / calls.PerSecond:0.00} |");
        }

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
            one cached token, but pay a round trip to the client per step. With many chains in
            flight the node's cores are the limit either way: both run the same three invocations.

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
}
