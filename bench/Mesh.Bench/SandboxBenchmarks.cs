using BenchmarkDotNet.Attributes;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node;
using Mesh.Node.Sandbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Mesh.Bench;

/// <summary>
/// One invocation of echo with a 64-byte input, fresh store each time, the node's pooling
/// settings, fuel and an epoch deadline: through the Wasmtime .NET binding as the node did it
/// before issue 13 (a store, the linker instantiating, a typed function), against the node's own
/// sandbox (<see cref="Invoker"/> on Wasmtime's C API: the module's instance-pre, host calls as
/// unmanaged callbacks), taken from a node's real wiring, with a new invocation context per call
/// as the node makes one. Issue 13's target: ≤ 3 µs, ≤ 300 B. Run with the module's memory at 1
/// page and at 17 (1 MiB and a page: the size toolchains that reserve a 1 MiB stack start at), since
/// each invocation resets its memory slot and that cost grows with the memory.
/// </summary>
[MemoryDiagnoser]
public class SandboxBenchmarks
{
    private readonly byte[] _input = new byte[64];
    private byte[] _wasm = [];
    private Wasmtime.Engine _engine = null!;
    private Wasmtime.Module _module = null!;
    private Wasmtime.Linker _linker = null!;
    private int _written;
    private IHost _node = null!;
    private Invoker _invoker = null!;
    private CompiledModule _compiled = null!;
    private Grant _grant = null!;
    private EffectiveLimits _limits;

    /// <summary>The echo module's memory, in 64 KiB pages.</summary>
    [Params(1, 17)]
    public int MemoryPages { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var text = BenchMesh.EchoText.Replace("(memory (export \"memory\") 1)", $"(memory (export \"memory\") {MemoryPages})", StringComparison.Ordinal);
        if (MemoryPages != 1 && text == BenchMesh.EchoText)
        {
            throw new InvalidOperationException("echo.wat no longer declares its memory as this benchmark expects");
        }

        _wasm = Wasmtime.Module.ConvertText(text);
        var pool = new Wasmtime.PoolingAllocationConfig().WithMaxCoreInstances(8).WithMaxMemories(8).WithMaxTables(8).WithMaxGcHeaps(1)
            .WithMaxMemorySize(64 << 20).WithLinearMemoryKeepResidentBytes(1 << 20);
        _engine = new Wasmtime.Engine(new Wasmtime.Config().WithFuelConsumption(true).WithEpochInterruption(true).WithGc(false)
            .WithStaticMemoryMaximumSize(64 << 20).WithPoolingAllocationStrategy(pool));
        _module = Wasmtime.Module.FromBytes(_engine, "echo", _wasm);
        _linker = new Wasmtime.Linker(_engine);
        _linker.DefineFunction("mesh", "read_input", (Wasmtime.Caller caller, int at, int length) =>
        {
            _input.AsSpan(0, length).CopyTo(caller.GetMemory("memory")!.GetSpan(at, length));
            return length;
        });
        _linker.DefineFunction("mesh", "write_output", (Wasmtime.Caller caller, int at, int length) =>
        {
            _written = caller.GetMemory("memory")!.GetSpan(at, length).Length;
            return 0;
        });

        // The node's sandbox as a node wires it (every capability's host calls on the linker).
        using var issuer = SigningKey.Generate();
        _node = NodeHost.Build([], [new("Mesh:Tokens:TrustedRoots:0", issuer.PublicKeyText)]);
        var engine = _node.Services.GetRequiredService<WasmEngine>();
        _invoker = _node.Services.GetRequiredService<Invoker>();
        var digest = Sha256Digest.Of(_wasm);
        _compiled = ModuleCompiler.Compile(engine, digest, _wasm).Value!;
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var token = TokenIssuer.Issue(issuer, new BlockClaims
        {
            TokenId = TokenIssuer.NewTokenId(),
            IssuedAt = now,
            Expires = now + 3600,
            MaxDepth = 1,
            Functions = [new FunctionGrant("echo", [digest], CapabilitySet.None, Limits.None)],
        });
        var verifier = new TokenVerifier(new TokenVerifierOptions { TrustedRoots = [issuer.PublicKeyText] }, TimeProvider.System);
        _grant = verifier.Verify(token.Value!, "echo", digest).Value!;
        _limits = EffectiveLimits.From(_grant.Limits, _node.Services.GetRequiredService<IOptions<NodeOptions>>().Value.Ceilings);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _compiled.Dispose();
        _node.Dispose();
        _linker.Dispose();
        _module.Dispose();
        _engine.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Wasmtime .NET binding (the node before issue 13)")]
    public int Binding()
    {
        using var store = new Wasmtime.Store(_engine);
        store.Fuel = 10_000_000;
        store.SetEpochDeadline(100);
        store.SetLimits(memorySize: 16 << 20, tableElements: 10_000, instances: 1, tables: 1, memories: 1);
        var run = _linker.Instantiate(store, _module).GetFunction<int, int>("run")!;
        return run(_input.Length) == 0 ? _written : -1;
    }

    [Benchmark(Description = "Mesh node sandbox: C API, instance-pre, new context")]
    public int Node()
    {
        using var context = new InvocationContext(_grant, _input, _limits, "bench");
        return _invoker.Invoke(_compiled, context).Code == ErrorCode.None ? context.OutputLength : -1;
    }
}
