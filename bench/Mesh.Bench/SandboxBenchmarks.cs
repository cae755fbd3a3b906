using BenchmarkDotNet.Attributes;
using Mesh.Bench.NativeProbe;

namespace Mesh.Bench;

/// <summary>
/// One invocation of echo with a 64-byte input, fresh store each time, the node's pooling
/// settings, fuel and an epoch deadline: through the Wasmtime .NET binding as the node does it
/// today (a store, the linker instantiating, a typed function), against Wasmtime's C API with an
/// instance-pre built once (<see cref="NativeEchoSandbox"/>). Issue 13's target: ≤ 3 µs, ≤ 300 B.
/// </summary>
[MemoryDiagnoser]
public class SandboxBenchmarks
{
    private readonly byte[] _input = new byte[64];
    private byte[] _wasm = [];
    private Wasmtime.Engine _engine = null!;
    private Wasmtime.Module _module = null!;
    private Wasmtime.Linker _linker = null!;
    private NativeEchoSandbox _native = null!;
    private int _written;

    [GlobalSetup]
    public void Setup()
    {
        _wasm = Wasmtime.Module.ConvertText(BenchMesh.EchoText);
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
        _native = new NativeEchoSandbox(_wasm);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _native.Dispose();
        _linker.Dispose();
        _module.Dispose();
        _engine.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Wasmtime .NET binding (the node today)")]
    public int Binding()
    {
        using var store = new Wasmtime.Store(_engine);
        store.Fuel = 10_000_000;
        store.SetEpochDeadline(100);
        store.SetLimits(memorySize: 16 << 20, tableElements: 10_000, instances: 1, tables: 1, memories: 1);
        var run = _linker.Instantiate(store, _module).GetFunction<int, int>("run")!;
        return run(_input.Length) == 0 ? _written : -1;
    }

    [Benchmark(Description = "C API, instance-pre per module (issue 13)")]
    public int InstancePre() => _native.Invoke(_input);
}
