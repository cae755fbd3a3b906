using System.Runtime.InteropServices;
using Mesh.Node.Sandbox.Native;
using Microsoft.Extensions.Options;
using static Mesh.Node.Sandbox.Native.WasmtimeApi;

namespace Mesh.Node.Sandbox;

/// <summary>
/// One Wasmtime engine and linker for the node, shared by every invocation, through Wasmtime's C
/// API. Fuel and epoch interruption are always on; the pooling allocator keeps instantiation cheap
/// under concurrency (the default allocator collapsed under two threads when measured, see
/// docs/benchmarks.md). The linker holds every host call the capabilities declare, defined once.
/// One dedicated thread advances the epoch, which is how wall-clock deadlines reach running
/// guests. Not a thread-pool timer: CPU-bound guests occupy the pool, and a deadline that waits
/// for a free pool thread never comes (seen in tests on two cores).
/// </summary>
public sealed class WasmEngine : IDisposable
{
    public const int EpochTickMilliseconds = 5;

    private readonly Thread _epochTicker;
    private readonly long _maxDeadlineTicks;
    private readonly GCHandle[] _hostCalls;
    private volatile bool _disposed;

    public WasmEngine(IOptions<NodeOptions> options, HostCallTable hostCalls)
    {
        var node = options.Value;
        HostCalls = hostCalls;
        // Every store is deleted after its invocation, so live instances never exceed the concurrency.
        var instances = (uint)(node.Execution.Concurrency + 4);
        // Pools are sized from the node's own settings; GC heaps and async stacks to one slot each
        // (Mesh runs no GC guests and no async calls). Left at their defaults, those pools cost
        // thousands of memory mappings per engine. A node holds one engine; whoever disposes one
        // disposes its modules first (see ModuleCache).
        var pool = wasmtime_pooling_allocation_config_new();
        wasmtime_pooling_allocation_config_total_core_instances_set(pool, instances);
        wasmtime_pooling_allocation_config_total_memories_set(pool, instances);
        wasmtime_pooling_allocation_config_total_tables_set(pool, instances);
        wasmtime_pooling_allocation_config_total_stacks_set(pool, 1);
        wasmtime_pooling_allocation_config_total_gc_heaps_set(pool, 1);
        wasmtime_pooling_allocation_config_max_memory_size_set(pool, (nuint)node.Ceilings.MemoryBytes);
        // A slot is reset after each invocation: zeroed up to what is kept resident, given back to
        // the kernel with madvise beyond it. Each madvise flushes the TLB on every core, which costs
        // hundreds of µs in a VM (profiled: 31% of a Rust echo's time). 4 MiB covers what a Rust or
        // C program touches (its 1 MiB stack, data and a small heap) and a 64 KiB table covers
        // their function tables: a Rust echo went from 151 µs to 14 µs, a C echo from 23 µs to
        // 4.3 µs (docs/benchmarks.md, WASI). At most instances × 4 MiB stays resident.
        wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(pool, 4 * 1024 * 1024);
        wasmtime_pooling_allocation_config_table_keep_resident_set(pool, 64 * 1024);
        var config = wasm_config_new();
        wasmtime_config_consume_fuel_set(config, true);
        wasmtime_config_epoch_interruption_set(config, true);
        wasmtime_config_wasm_gc_set(config, false);
        wasmtime_config_memory_reservation_set(config, (ulong)node.Ceilings.MemoryBytes);
        wasmtime_pooling_allocation_strategy_set(config, pool);
        wasmtime_pooling_allocation_config_delete(pool);
        // Takes the config.
        Handle = wasm_engine_new_with_config(config);
        if (Handle == IntPtr.Zero)
        {
            throw new InvalidOperationException("Wasmtime refused the engine's configuration");
        }

        _maxDeadlineTicks = node.Ceilings.WallTimeMs / EpochTickMilliseconds + 1;
        Linker = wasmtime_linker_new(Handle);
        _hostCalls = HostCallTrampoline.Define(Linker, hostCalls.All);
        _epochTicker = new Thread(Tick) { IsBackground = true, Name = "mesh-epoch", Priority = ThreadPriority.AboveNormal };
        _epochTicker.Start();
    }

    /// <summary>The native engine (<c>wasm_engine_t*</c>).</summary>
    internal IntPtr Handle { get; }

    /// <summary>The native linker (<c>wasmtime_linker_t*</c>) with every host call defined.</summary>
    internal IntPtr Linker { get; }

    public HostCallTable HostCalls { get; }

    /// <summary>
    /// Stops every guest running now: the epoch moves past any deadline a store can hold, so each
    /// traps at its next check, wherever it is. For a node that stops serving; costs running
    /// invocations nothing until then (no callback per store).
    /// </summary>
    public void InterruptAll()
    {
        for (var tick = 0L; tick <= _maxDeadlineTicks + 1; tick++)
        {
            wasmtime_engine_increment_epoch(Handle);
        }
    }

    private void Tick()
    {
        while (!_disposed)
        {
            Thread.Sleep(EpochTickMilliseconds);
            wasmtime_engine_increment_epoch(Handle);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _epochTicker.Join();
        wasmtime_linker_delete(Linker);
        wasm_engine_delete(Handle);
        foreach (var handle in _hostCalls)
        {
            handle.Free();
        }
    }
}
