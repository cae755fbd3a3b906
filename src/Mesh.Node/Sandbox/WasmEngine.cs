using Microsoft.Extensions.Options;
using static Mesh.Node.Sandbox.Native.WasmtimeApi;

namespace Mesh.Node.Sandbox;

/// <summary>
/// The node's Wasmtime engines, through Wasmtime's C API: one <see cref="EngineLane"/> per sandbox
/// the node runs at once (<c>Mesh:Execution:Concurrency</c>), each with its own pooling allocator
/// and every host call the capabilities declare. Fuel and epoch interruption are always on; the
/// pooling allocator keeps instantiation cheap. One dedicated thread advances every lane's epoch,
/// which is how wall-clock deadlines reach running guests. Not a thread-pool timer: CPU-bound
/// guests occupy the pool, and a deadline that waits for a free pool thread never comes (seen in
/// tests on two cores).
/// </summary>
public sealed class WasmEngine : IDisposable
{
    public const int EpochTickMilliseconds = 5;

    private readonly Thread _epochTicker;
    private readonly long _maxDeadlineTicks;
    private volatile bool _disposed;

    public WasmEngine(IOptions<NodeOptions> options, HostCallTable hostCalls)
    {
        var node = options.Value;
        HostCalls = hostCalls;
        Lanes = [.. Enumerable.Range(0, Math.Max(1, node.Execution.Concurrency)).Select(_ => new EngineLane(node, hostCalls))];
        _maxDeadlineTicks = node.Ceilings.WallTimeMs / EpochTickMilliseconds + 1;
        _epochTicker = new Thread(Tick) { IsBackground = true, Name = "mesh-epoch", Priority = ThreadPriority.AboveNormal };
        _epochTicker.Start();
    }

    /// <summary>The engines; a module is compiled into each, an invocation runs in one.</summary>
    internal EngineLane[] Lanes { get; }

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
            foreach (var lane in Lanes)
            {
                wasmtime_engine_increment_epoch(lane.Handle);
            }
        }
    }

    private void Tick()
    {
        while (!_disposed)
        {
            Thread.Sleep(EpochTickMilliseconds);
            foreach (var lane in Lanes)
            {
                wasmtime_engine_increment_epoch(lane.Handle);
            }
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
        foreach (var lane in Lanes)
        {
            lane.Dispose();
        }
    }
}
