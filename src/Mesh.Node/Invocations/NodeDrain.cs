using System.Diagnostics;
using Mesh.Node.Sandbox;
using Microsoft.Extensions.Options;

namespace Mesh.Node.Invocations;

/// <summary>
/// A node's stop, shared by calls and jobs: it begins when the node is told to stop (both stop
/// taking work at that moment) and ends <c>Mesh:Execution:DrainTimeout</c> later. At its end,
/// whatever still runs is stopped together: host calls that wait return (they wait on
/// <see cref="Ended"/>) and guests trap at their next epoch check, each reported as
/// <c>node.stopped</c>, never as the function's own timeout.
/// </summary>
public sealed class NodeDrain(WasmEngine engine, IOptions<NodeOptions> options) : IDisposable
{
    private readonly TimeSpan _timeout = options.Value.Execution.DrainTimeout;
    private readonly CancellationTokenSource _ended = new();
    private long _began;

    /// <summary>Cancelled when the drain ends: what still runs then is stopped.</summary>
    public CancellationToken Ended => _ended.Token;

    /// <summary>How much of the drain is left (all of it before it began).</summary>
    public TimeSpan Left
    {
        get
        {
            var began = Interlocked.Read(ref _began);
            var left = began == 0 ? _timeout : _timeout - Stopwatch.GetElapsedTime(began);
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    public void Begin() => Interlocked.CompareExchange(ref _began, Stopwatch.GetTimestamp(), 0);

    /// <summary>Stops what still runs. Calls and jobs both end it at the same deadline; the first does it.</summary>
    public async Task EndAsync()
    {
        if (!_ended.IsCancellationRequested)
        {
            await _ended.CancelAsync();
            engine.InterruptAll();
        }
    }

    public void Dispose() => _ended.Dispose();
}
