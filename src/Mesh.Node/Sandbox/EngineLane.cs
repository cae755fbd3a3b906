using System.Runtime.InteropServices;
using Mesh.Node.Sandbox.Native;
using static Mesh.Node.Sandbox.Native.WasmtimeApi;

namespace Mesh.Node.Sandbox;

/// <summary>
/// One Wasmtime engine with its own pooling allocator and a linker holding every host call. A node
/// runs one lane per sandbox it may run at once, and an invocation holds its lane alone: invocations
/// sharing one engine's pool on two cores cost twice the CPU each (their instance slots move
/// between the cores' caches), one engine each did not (docs/benchmarks.md).
/// </summary>
internal sealed class EngineLane : IDisposable
{
    private readonly GCHandle[] _hostCalls;

    public EngineLane(NodeOptions node, HostCallTable hostCalls)
    {
        // Every store is deleted after its invocation. A lane runs one invocation at a time in the
        // node; the headroom lets tests and benchmarks run several on one lane.
        var instances = (uint)(node.Execution.Concurrency + 4);
        // Pools are sized from the node's own settings; GC heaps and async stacks to one slot each
        // (Mesh runs no GC guests and no async calls). Left at their defaults, those pools cost
        // thousands of memory mappings per engine.
        var pool = wasmtime_pooling_allocation_config_new();
        wasmtime_pooling_allocation_config_total_core_instances_set(pool, instances);
        wasmtime_pooling_allocation_config_total_memories_set(pool, instances);
        wasmtime_pooling_allocation_config_total_tables_set(pool, instances);
        wasmtime_pooling_allocation_config_total_stacks_set(pool, 1);
        wasmtime_pooling_allocation_config_total_gc_heaps_set(pool, 1);
        wasmtime_pooling_allocation_config_max_memory_size_set(pool, (nuint)node.Ceilings.MemoryBytes);
        // Up to 1 MiB of a memory slot is reset with memset, the rest with madvise, which costs far
        // more here (measured: none resident cut a node to a third of its calls/s).
        wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(pool, 1024 * 1024);
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

        Linker = wasmtime_linker_new(Handle);
        _hostCalls = HostCallTrampoline.Define(Linker, hostCalls.All);
    }

    /// <summary>The native engine (<c>wasm_engine_t*</c>).</summary>
    public IntPtr Handle { get; }

    /// <summary>The native linker (<c>wasmtime_linker_t*</c>) with every host call defined.</summary>
    public IntPtr Linker { get; }

    public void Dispose()
    {
        wasmtime_linker_delete(Linker);
        wasm_engine_delete(Handle);
        foreach (var handle in _hostCalls)
        {
            handle.Free();
        }
    }
}
