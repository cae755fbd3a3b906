using Microsoft.Extensions.Options;

namespace Mesh.Node.Sandbox;

/// <summary>
/// The node's one budget of sandboxes running at once (<c>Mesh:Execution:Concurrency</c>), shared
/// by calls and durable jobs alike. The Wasmtime instance pool is sized from the same number, so a
/// sandbox never fails to instantiate because the other kind of work took the pool.
/// </summary>
public sealed class InvocationSlots(IOptions<NodeOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(options.Value.Execution.Concurrency, options.Value.Execution.Concurrency);

    public int Capacity { get; } = options.Value.Execution.Concurrency;

    public int Free => _slots.CurrentCount;

    /// <summary>Waits for a slot; dispose what it returns to give the slot back.</summary>
    public async ValueTask<Slot> EnterAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        return new Slot(_slots);
    }

    public void Dispose() => _slots.Dispose();

    public readonly struct Slot(SemaphoreSlim slots) : IDisposable
    {
        public void Dispose() => slots.Release();
    }
}
