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
        span = default;
        var (at, length) = (I32(index), Math.Min(I32(index + 1), maxLength));
        if (_memory is null || at < 0 || length < 0 || (long)at + length > _memoryLength)
        {
            return false;
        }

        span = new Span<byte>(_memory + at, length);
        return true;
    }
}
