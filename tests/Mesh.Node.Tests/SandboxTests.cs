using System.Text;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Capabilities;
using Mesh.Node.Sandbox;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wasmtime;

namespace Mesh.Node.Tests;

/// <summary>The real Wasmtime engine running real modules, hostile ones included, with no NATS in between.</summary>
public sealed class SandboxTests : IDisposable
{
    private readonly TestSandbox _sandbox = new();
    private readonly NodeOptions _options;
    private readonly ListLogger<LogCapability> _log;
    private readonly WasmEngine _engine;
    private readonly Invoker _invoker;

    public SandboxTests()
    {
        (_options, _log, _engine, _invoker) = (_sandbox.Options, _sandbox.Log, _sandbox.Engine, _sandbox.Invoker);
    }

    public void Dispose() => _sandbox.Dispose();

    private static byte[] Wasm(string name) => TestSandbox.Wasm(name);

    private (MeshError Error, string Output, InvocationContext Context) Run(string module, string input = "", CapabilitySet? capabilities = null, Limits? limits = null) =>
        _sandbox.Run(Wasm(module), input, capabilities, limits);

    private (MeshError Error, string Output, InvocationContext Context) Run(byte[] bytes, string input = "", CapabilitySet? capabilities = null, Limits? limits = null) =>
        _sandbox.Run(bytes, input, capabilities, limits);

    [Fact]
    public void Echo_ReturnsItsInput()
    {
        var (error, output, _) = Run("echo", "hello mesh");
        Assert.Equal(ErrorCode.None, error.Code);
        Assert.Equal("hello mesh", output);
    }

    [Fact]
    public void Echo_OfALargeInput_GrowsItsMemoryAndReturnsItAll()
    {
        var input = new string('x', 300_000);
        var (error, output, _) = Run("echo", input);
        Assert.Equal(ErrorCode.None, error.Code);
        Assert.Equal(input, output);
    }

    [Fact]
    public void Log_WithTheCapability_ReachesTheNodeLogWithItsIdentity()
    {
        var (error, output, context) = Run("hello-log", "a line from the guest", CapabilitySet.None with { Log = true });

        Assert.Equal(ErrorCode.None, error.Code);
        Assert.Equal("logged", output);
        var line = Assert.Single(_log.Lines, l => l.Message.Contains("a line from the guest"));
        Assert.Contains(context.Grant.TokenId, line.Message);
        Assert.Contains("test-1", line.Message);
    }

    [Fact]
    public void Log_WithoutTheCapability_CannotEvenLink()
    {
        var (error, _, _) = Run("imports-log");
        Assert.Equal(ErrorCode.CapabilityDenied, error.Code);
        Assert.Contains("log", error.Message);
    }

    [Theory]
    [InlineData("loop", ErrorCode.FunctionFuelExhausted)]
    [InlineData("memory-bomb", ErrorCode.FunctionMemoryLimit)]
    [InlineData("recursion", ErrorCode.FunctionStackOverflow)]
    [InlineData("huge-output", ErrorCode.FunctionOutputTooLarge)]
    [InlineData("divide-by-zero", ErrorCode.FunctionTrap)]
    [InlineData("unreachable", ErrorCode.FunctionTrap)]
    [InlineData("fails", ErrorCode.FunctionError)]
    [InlineData("imports-unknown", ErrorCode.ModuleInvalid)]
    [InlineData("no-run", ErrorCode.ModuleInvalid)]
    [InlineData("big-memory", ErrorCode.FunctionMemoryLimit)]
    [InlineData("host-call-flood", ErrorCode.FunctionHostCallLimit)]
    public void HostileModule_IsStoppedWithItsCode_AndTheEngineKeepsServing(string module, ErrorCode expected)
    {
        var (error, _, _) = Run(module, limits: new Limits(Fuel: 50_000_000));
        Assert.Equal(expected, error.Code);

        var (after, output, _) = Run("echo", "still here");
        Assert.Equal(ErrorCode.None, after.Code);
        Assert.Equal("still here", output);
    }

    [Fact]
    public void Fails_CarriesTheGuestsMessage()
    {
        var (error, _, _) = Run("fails");
        Assert.Equal("input rejected: too short", error.Message);
    }

    [Fact]
    public void OutOfBoundsPointer_IsRefusedWithAStatus_NotACrash()
    {
        var (error, _, _) = Run("out-of-bounds");
        Assert.Equal(ErrorCode.FunctionError, error.Code);
        Assert.Contains("returned 2", error.Message);
    }

    [Fact]
    public void TokenLimits_AreNarrowerThanTheNodesCeilings()
    {
        var (fuel, _, _) = Run("loop", limits: new Limits(Fuel: 10_000));
        Assert.Equal(ErrorCode.FunctionFuelExhausted, fuel.Code);
        Assert.Contains("10000", fuel.Message);

        var (memory, _, _) = Run("memory-bomb", limits: new Limits(MemoryBytes: 4 * 65536));
        Assert.Equal(ErrorCode.FunctionMemoryLimit, memory.Code);

        var (output, _, _) = Run("echo", new string('x', 2000), limits: new Limits(OutputBytes: 1000));
        Assert.Equal(ErrorCode.FunctionOutputTooLarge, output.Code);

        var (initial, _, _) = Run("eight-pages", limits: new Limits(MemoryBytes: 4 * 65536));
        Assert.Equal(ErrorCode.FunctionMemoryLimit, initial.Code);
        Assert.Equal(ErrorCode.None, Run("eight-pages").Error.Code);
    }

    [Fact]
    public void WallClockDeadline_StopsAGuestThatHasFuelToBurn()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var (error, _, _) = Run("spin-no-fuel-cost", limits: new Limits(WallTimeMs: 100));

        Assert.Equal(ErrorCode.FunctionTimeout, error.Code);
        // Not a timing assertion on speed: only that the deadline, not fuel, ended it.
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed}");
    }

    [Fact]
    public void TwoInvocationsOfOneModule_ShareNoMemoryGlobalsOrTables()
    {
        var bytes = Wasm("remembers");
        using var module = ModuleCompiler.Compile(_engine, Sha256Digest.Of(bytes), bytes).Value!;
        var grant = TestGrants.For("f", module.Digest, null, null);
        var limits = EffectiveLimits.From(grant.Limits, _options.Ceilings);
        for (var i = 0; i < 3; i++)
        {
            using var context = new InvocationContext(grant, default, limits, $"test-{i}");
            Assert.Equal(ErrorCode.None, _invoker.Invoke(module, context).Code);
            var seen = context.Output.ToArray();
            // Global, memory cell, table slot: what a fresh instance has after one run.
            Assert.Equal([1, 1, 0], [BitConverter.ToInt32(seen, 0), BitConverter.ToInt32(seen, 4), BitConverter.ToInt32(seen, 8)]);
        }
    }

    [Fact]
    public void AnImportOfTheWrongType_IsAnInvalidModule_NotACrash()
    {
        var bytes = Module.ConvertText("""
            (module
              (import "mesh" "read_input" (func (param i64) (result i32)))
              (memory (export "memory") 1)
              (func (export "run") (param i32) (result i32) (i32.const 0)))
            """);
        var (error, _, _) = Run(bytes);

        Assert.Equal(ErrorCode.ModuleInvalid, error.Code);
        Assert.Contains("read_input", error.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.None, Run("echo", "still serving").Error.Code);
    }

    [Fact]
    public void AHostCallThatFailsInTheNode_StopsOnlyThatGuest()
    {
        var failing = new HostCallTable([new InvocationIo(), new FailingCapability()]);
        using var engine = new WasmEngine(Options.Create(_options), failing);
        var log = new ListLogger<Invoker>();
        var invoker = new Invoker(engine, log);
        var bytes = Module.ConvertText("""
            (module
              (import "mesh" "explode" (func $explode (result i32)))
              (memory (export "memory") 1)
              (func (export "run") (param i32) (result i32) (call $explode)))
            """);
        using var module = ModuleCompiler.Compile(engine, Sha256Digest.Of(bytes), bytes).Value!;
        var grant = TestGrants.For("f", module.Digest, null, null);
        using var context = new InvocationContext(grant, default, EffectiveLimits.From(grant.Limits, _options.Ceilings), "test-1");

        var error = invoker.Invoke(module, context);

        Assert.Equal(ErrorCode.FunctionTrap, error.Code);
        Assert.Contains("mesh.explode failed in the node", error.Message, StringComparison.Ordinal);
        // The caller gets one line; the node's log gets it as an error.
        Assert.Contains(log.Lines, l => l.Level == Microsoft.Extensions.Logging.LogLevel.Error && l.Message.Contains("mesh.explode", StringComparison.Ordinal));
        Assert.Equal(ErrorCode.None, Run("echo", "still serving").Error.Code);
    }

    [Fact]
    public void AStartFunctionThatTraps_IsATrap()
    {
        var bytes = Module.ConvertText("""
            (module
              (memory (export "memory") 1)
              (func $start unreachable)
              (start $start)
              (func (export "run") (param i32) (result i32) (i32.const 0)))
            """);
        var (error, _, _) = Run(bytes);

        Assert.Equal(ErrorCode.FunctionTrap, error.Code);
        Assert.Contains("Unreachable", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvocationsRunningAtOnce_EachSeeOnlyTheirOwnInputAndOutput()
    {
        var bytes = Wasm("echo");
        using var module = ModuleCompiler.Compile(_engine, Sha256Digest.Of(bytes), bytes).Value!;
        var grant = TestGrants.For("f", module.Digest, null, null);
        var limits = EffectiveLimits.From(grant.Limits, _options.Ceilings);

        // As many at once as the engine's pool holds: a host call that found another invocation's
        // context would answer with someone else's input.
        var workers = Enumerable.Range(0, _options.Execution.Concurrency).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 200; i++)
            {
                var input = Encoding.UTF8.GetBytes($"worker {w} call {i} {new string('x', (w * 37) + i)}");
                using var context = new InvocationContext(grant, input, limits, $"test-{w}-{i}");
                Assert.Equal(ErrorCode.None, _invoker.Invoke(module, context).Code);
                Assert.Equal(input, context.Output.ToArray());
            }
        }));

        await Task.WhenAll(workers);
    }

    [Theory]
    [InlineData("(func (export \"run\") (param i64) (result i32) (i32.const 0)) (memory (export \"memory\") 1)", "run")]
    [InlineData("(func (export \"run\") (param i32) (result i32) (i32.const 0)) (table (export \"memory\") 1 funcref)", "memory")]
    [InlineData("(func (export \"run\") (param i32) (result i32) (i32.const 0)) (func (export \"memory\"))", "memory")]
    public void ExportsOfTheWrongKindOrType_AreAnInvalidModule(string body, string named)
    {
        var (error, _, _) = Run(Module.ConvertText($"(module {body})"));

        Assert.Equal(ErrorCode.ModuleInvalid, error.Code);
        Assert.Contains($"'{named}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HostCallsFromAStartFunction_FindTheGuestsMemoryToo()
    {
        // Host calls made while instantiating come before the invocation keeps its memory handle.
        var bytes = Module.ConvertText("""
            (module
              (import "mesh" "write_output" (func $write_output (param i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 16) "from start")
              (global $status (mut i32) (i32.const 99))
              (func $start
                (global.set $status (call $write_output (i32.const 65530) (i32.const 100)))
                (drop (call $write_output (i32.const 16) (i32.const 10))))
              (start $start)
              (func (export "run") (param i32) (result i32) (global.get $status)))
            """);
        var (error, output, _) = Run(bytes);

        // The out-of-bounds write was refused with -2, which run returns; the in-bounds one stands.
        Assert.Equal(ErrorCode.FunctionError, error.Code);
        Assert.Contains("returned -2", error.Message, StringComparison.Ordinal);
        Assert.Equal("from start", output);
    }

    private sealed class FailingCapability : ICapability
    {
        public IReadOnlyList<HostCall> HostCalls => [new("explode", [], "status", static _ => throw new InvalidOperationException("a bug in the node"))];
    }
}
