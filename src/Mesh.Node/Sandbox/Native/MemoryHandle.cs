using System.Runtime.InteropServices;

namespace Mesh.Node.Sandbox.Native;

/// <summary>
/// A guest's exported memory as Wasmtime names it (a <c>wasmtime_memory_t</c>, 24 bytes in version
/// 50), kept on the invocation once it is instantiated so host calls need not look it up by name.
/// Its data pointer can move when the memory grows, so each host call asks for it again.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct MemoryHandle
{
    private readonly long _storeId;
    private readonly long _private1;
    private readonly long _private2;

    /// <summary>Copies the item of a <c>wasmtime_extern_t</c> that holds a memory.</summary>
    public static unsafe MemoryHandle From(byte* item) => *(MemoryHandle*)item;
}
