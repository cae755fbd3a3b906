using Microsoft.Extensions.Options;
using Wasmtime;

namespace Mesh.Node.Sandbox;

/// <summary>
/// One Wasmtime engine and linker for the node, shared by every invocation. Fuel and epoch
/// interruption are always on; the pooling allocator keeps instantiation cheap under concurrency
/// (the default allocator collapsed under two threads when measured, see docs/benchmarks.md).
/// One dedicated thread advances the epoch, which is how wall-clock deadlines reach running
/// guests. Not a thread-pool timer: CPU-bound guests occupy the pool, and a deadline that waits
/// for a free pool thread never comes (seen in tests on two cores).
/// </summary>
public sealed class WasmEngine : IDisposable
{
    public const int EpochTickMilliseconds = 5;

    private readonly Thread _epochTicker;
    private readonly long _maxDeadlineTicks;
    private volatile bool _disposed;

    public WasmEngine(IOptions<NodeOptions> options, HostFunctions hostFunctions)
    {
        var node = options.Value;
        // Every store is disposed after its invocation, so live instances never exceed the concurrency.
        var instances = (uint)(node.Execution.Concurrency + 4);
        // Pools are sized from the node's own settings, GC heaps to one slot (Mesh runs no GC
        // guests). The async-stack pool cannot be sized through the .NET binding: it costs about
        // 2,000 memory mappings per engine, so ~30 live engines exhaust vm.max_map_count, and
        // Wasmtime aborts the whole process when an engine cannot be created. A node holds one
        // engine; whoever disposes one disposes its modules first (see ModuleCache).
        var pool = new PoolingAllocationConfig()
            .WithMaxCoreInstances(instances)
            .WithMaxMemories(instances)
            .WithMaxTables(instances)
            .WithMaxGcHeaps(1)
            .WithMaxMemorySize((nuint)node.Ceilings.MemoryBytes)
            .WithLinearMemoryKeepResidentBytes(1024 * 1024);
        var config = new Config()
            .WithFuelConsumption(true)
            .WithEpochInterruption(true)
            .WithGc(false)
            .WithStaticMemoryMaximumSize((ulong)node.Ceilings.MemoryBytes)
            .WithPoolingAllocationStrategy(pool);
        Engine = new Engine(config);
        _maxDeadlineTicks = node.Ceilings.WallTimeMs / EpochTickMilliseconds + 1;
        Linker = new Linker(Engine);
        hostFunctions.Define(Linker);
        _epochTicker = new Thread(Tick) { IsBackground = true, Name = "mesh-epoch", Priority = ThreadPriority.AboveNormal };
        _epochTicker.Start();
    }

    public Engine Engine { get; }

    public Linker Linker { get; }

    /// <summary>
    /// Stops every guest running now: the epoch moves past any deadline a store can hold, so each
    /// traps at its next check, wherever it is. For a node that stops serving; costs running
    /// invocations nothing until then (no callback per store).
    /// </summary>
    public void InterruptAll()
    {
        for (var tick = 0L; tick <= _maxDeadlineTicks + 1; tick++)
        {
            Engine.IncrementEpoch();
        }
    }

    private void Tick()
    {
        while (!_disposed)
        {
            Thread.Sleep(EpochTickMilliseconds);
            Engine.IncrementEpoch();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _epochTicker.Join();
        Linker.Dispose();
        Engine.Dispose();
    }
}
