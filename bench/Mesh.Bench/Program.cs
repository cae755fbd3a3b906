using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using Mesh.Bench;

// Usage: dotnet run -c Release --project bench/Mesh.Bench -- tokens|node|gateway|chain|soak [docs/benchmarks.md]
var suite = args.FirstOrDefault() ?? "tokens";
var document = args.Length > 1 ? args[1] : Path.Combine("docs", "benchmarks.md");

if (suite == "responder")
{
    // Not a suite: the plain responder the node suite runs as a process of its own.
    return await PlainResponder.RunAsync(args[1]);
}

if (suite == "http-echo")
{
    // Not a suite: the plain HTTP endpoint the gateway suite runs as a process of its own.
    return await PlainHttpEcho.RunAsync(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
}

if (suite == "gateway")
{
    BenchmarksDocument.WriteSection(document, suite, await GatewayBenchmark.RunAsync());
    Console.WriteLine($"wrote the '{suite}' section of {document}");
    return 0;
}

if (suite == "gateway-load")
{
    // Not a suite: load for bench/profile.sh to sample the gateway under.
    return await GatewayBenchmark.LoadForProfileAsync(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
}

if (suite == "load")
{
    // Not a suite: load for bench/profile.sh to sample the node under.
    return await NodeBenchmark.LoadForProfileAsync(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
}

if (suite == "node")
{
    BenchmarksDocument.WriteSection(document, suite, await NodeBenchmark.RunAsync());
    Console.WriteLine($"wrote the '{suite}' section of {document}");
    return 0;
}

if (suite == "soak")
{
    BenchmarksDocument.WriteSection(document, suite, await SoakBenchmark.RunAsync());
    Console.WriteLine($"wrote the '{suite}' section of {document}");
    return 0;
}

if (suite == "chain")
{
    BenchmarksDocument.WriteSection(document, suite, await ChainBenchmark.RunAsync());
    Console.WriteLine($"wrote the '{suite}' section of {document}");
    return 0;
}

if (suite is not ("tokens" or "sandbox" or "wasi" or "secrets"))
{
    Console.Error.WriteLine($"unknown suite '{suite}' (known: tokens, sandbox, wasi, secrets, node, gateway, chain, soak)");
    return 2;
}

var config = ManualConfig.CreateMinimumViable()
    .AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(12).WithLaunchCount(1))
    .AddColumn(StatisticColumn.OperationsPerSecond)
    .WithOptions(ConfigOptions.DisableLogFile);
var summary = suite switch
{
    "tokens" => BenchmarkRunner.Run<TokenBenchmarks>(config),
    "wasi" => BenchmarkRunner.Run<WasiBenchmarks>(config.AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default)),
    "secrets" => BenchmarkRunner.Run<SecretEchoBenchmarks>(config),
    _ => BenchmarkRunner.Run<SandboxBenchmarks>(config.AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default)),
};

if (summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success) || summary.Reports.IsEmpty)
{
    // A benchmark that did not run (a build failure, say) must not replace the published numbers.
    Console.Error.WriteLine($"the '{suite}' benchmarks did not all run; {document} is left as it was");
    return 1;
}

var table = new AccumulationLogger();
MarkdownExporter.GitHub.ExportToLog(summary, table);
var results = table.GetLog().Trim().Replace("&#39;", "", StringComparison.Ordinal);
BenchmarksDocument.WriteSection(document, suite, suite == "wasi"
    ? $"""
        ## WASI: a WASI invocation against a plain one

        The sandbox's cost of WASI, in one run: an echo of a 64-byte input, each invocation in a
        fresh store through a node's own wiring (`Invoker`, every capability's host calls on the
        linker, a new invocation context per call), as in the sandbox suite. The baseline is the
        plain `run()` echo (`examples/wat/echo.wat`). The same echo as a WASI command in WAT
        (`_start`, `fd_read`, `fd_write`) isolates the ABI; the C (wasi-libc) and Rust (std)
        echoes in `bench/wasi/` add what their toolchains do at start (wasi-libc looks for
        preopened directories, Rust's std sets up its runtime) and their memories: C's is 2 pages,
        Rust's 17 (its 1 MiB stack), and each invocation resets its memory slot, so the WAT echoes
        run at 1 and 17 pages too.

        What the toolchains cost was the slot's reset, not WASI: profiled with perf, a Rust echo
        spent 31% of its time in `madvise` (a TLB flush on every core, slow in a VM) and most of
        the rest in page faults, because its memory and function table reached past what the pool
        kept resident (1 MiB of memory, no table). Keeping 4 MiB of memory and 64 KiB of table
        resident took the Rust echo from 151 µs to 14 µs and the C echo from 23 µs to 4.3 µs
        (before: 2026-11-30, the same machine).

        Run on {TimeProvider.System.GetUtcNow():yyyy-MM-dd}.

        {results}
        """
    : suite == "secrets"
    ? $"""
        ## Secrets: searching an answer for an echoed secret

        Before a guest reads the answer to a request that carried a secret, the node replaces every
        form of the secret's value (exact, base64 and base64url at three alignments, hex, percent
        and JSON escapes: about 20 forms) in the headers and the body
        (`src/Mesh.Node/Secrets/SecretEchoes.cs`). Measured on a 1 MiB JSON body, against copying
        that body once, which handing it to the guest costs anyway. "No echo" is the common case
        and allocates nothing beyond the result set; "echoed once" finds the key near the end and
        writes the body anew. The forms are made per request (the last row).

        Run on {TimeProvider.System.GetUtcNow():yyyy-MM-dd}.

        {results}
        """
    : suite == "tokens"
    ? $"""
        ## Tokens

        What a node pays for a token, against one bare Ed25519 verification (the baseline, the least
        any signed token can cost). "Verify, cached" is the steady-state cost per message: a SHA-256 of
        the token bytes, a dictionary lookup and the per-message checks (time, audience, module).
        The 1-block token is a realistic grant (HTTP, key-value, publish and request rules, limits);
        the 3-block token is that grant narrowed twice.

        Run on {TimeProvider.System.GetUtcNow():yyyy-MM-dd}.

        {results}
        """
    : $"""
        ## Sandbox: the node's sandbox against the .NET binding

        One invocation of `examples/wat/echo.wat` with a 64-byte input, each in a fresh store with
        the node's pooling settings, fuel, an epoch deadline and limits, both host calls
        (`read_input`, `write_output`) copying through the guest's memory. The baseline is the
        Wasmtime .NET binding as the node used it before issue 13: a store, the linker
        instantiating, a typed function. It is compared with the node's own sandbox
        (`src/Mesh.Node/Sandbox/Invoker.cs`), taken from a node's real wiring: Wasmtime's C API, an
        instance-pre built once per module, host calls as unmanaged callbacks defined once, and a new
        invocation context per call as the node makes one.
        Issue 13's target for the node's sandbox is ≤ 3 µs and ≤ 300 B per invocation. Each
        runs with the module's memory at 1 page (64 KiB, as echo declares it) and at 17 (1 MiB and a
        page, where toolchains that reserve a 1 MiB stack start): every invocation resets its memory
        slot, with `memset` up to the 4 MiB the node keeps resident and `madvise` beyond it.

        Run on {TimeProvider.System.GetUtcNow():yyyy-MM-dd}.

        {results}
        """);
Console.WriteLine($"wrote the '{suite}' section of {document}");
return summary.HasCriticalValidationErrors ? 1 : 0;
