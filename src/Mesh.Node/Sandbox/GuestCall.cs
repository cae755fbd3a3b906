namespace Mesh.Node.Sandbox;

/// <summary>
/// One call from a guest into a host call: its invocation, its arguments and its memory. A pointer
/// and length from the guest are untrusted, so memory is only reached through
/// <see cref="TrySpan"/>, which checks both lie inside it. Lives only for the call.
/// </summary>
public readonly unsafe ref struct GuestCall
{
    private readonly long* _arguments;
    private readonly byte* _memory;
    private readonly long _memoryLength;

    internal GuestCall(InvocationContext context, long* arguments, byte* memory, long memoryLength)
    {
        Context = context;
        _arguments = arguments;
        _memory = memory;
        _memoryLength = memoryLength;
    }

    public InvocationContext Context { get; }

    /// <summary>The i32 argument at <paramref name="index"/> (each argument is a 16-byte raw value).</summary>
    public int I32(int index) => (int)_arguments[index * 2];

    /// <summary>The i64 argument at <paramref name="index"/>.</summary>
    public long I64(int index) => _arguments[index * 2];

    /// <summary>
    /// The guest memory named by the pointer at <paramref name="index"/> and the length after it,
    /// capped at <paramref name="maxLength"/> bytes; false when it does not lie inside the memory
    /// (or the module exports none).
    /// </summary>
    public bool TrySpan(int index, out Span<byte> span, int maxLength = int.MaxValue)
    {
        var length = I32(index + 1);
        return TryMemory((uint)I32(index), length < 0 ? -1 : Math.Min(length, maxLength), out span);
    }

    /// <summary>
    /// The <paramref name="length"/> bytes of guest memory at <paramref name="at"/> (a guest's
    /// address, unsigned as wasm reads it); false when they do not lie inside the memory.
    /// </summary>
    public bool TryMemory(long at, long length, out Span<byte> span)
    {
        span = default;
        if (_memory is null || at < 0 || length < 0 || length > int.MaxValue || at + length > _memoryLength)
        {
            return false;
        }

        span = new Span<byte>(_memory + at, (int)length);
        return true;
    }
}
