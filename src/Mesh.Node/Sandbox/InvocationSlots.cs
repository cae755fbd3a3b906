using Microsoft.Extensions.Options;

namespace Mesh.Node.Sandbox;

/// <summary>
/// The node's one budget of sandboxes running at once (<c>Mesh:Execution:Concurrency</c>), shared
/// by calls and durable jobs alike. Each slot holds one engine lane of <see cref="WasmEngine"/> for
/// as long as it is held, so no two invocations share an engine's instance pool at once.
/// </summary>
public sealed class InvocationSlots : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly int[] _free;
    private readonly Lock _lock = new();
    private int _freeCount;

    public InvocationSlots(IOptions<NodeOptions> options)
    {
        Capacity = Math.Max(1, options.Value.Execution.Concurrency);
        _slots = new SemaphoreSlim(Capacity, Capacity);
        // As many lanes as slots (WasmEngine makes one per slot): a slot always finds one free.
        _free = [.. Enumerable.Range(0, Capacity).Reverse()];
        _freeCount = Capacity;
    }

    public int Capacity { get; }

    public int Free => _slots.CurrentCount;

    /// <summary>Waits for a slot; dispose what it returns to give the slot (and its lane) back.</summary>
    public async ValueTask<Slot> EnterAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        lock (_lock)
        {
            return new Slot(this, _free[--_freeCount]);
        }
    }

    public void Dispose() => _slots.Dispose();

    private void Leave(int lane)
    {
        lock (_lock)
        {
            _free[_freeCount++] = lane;
        }

        _slots.Release();
    }

    public readonly struct Slot(InvocationSlots slots, int lane) : IDisposable
    {
        /// <summary>The engine lane this slot holds.</summary>
        public int Lane { get; } = lane;

        public void Dispose() => slots.Leave(Lane);
    }
}
