namespace Mesh.Node.Sandbox;

/// <summary>
/// What a module's bytes declare, read before compiling: compiling costs time and memory in
/// proportion to the functions defined, so a node refuses a module with more than it is set to
/// compile (<c>Mesh:Modules:MaxFunctions</c>) without spending either. Only section headers are
/// read; anything malformed is left to the compiler to refuse.
/// </summary>
public static class ModuleShape
{
    private const byte FunctionSection = 3;

    /// <summary>The number of functions the module defines, or null when its sections cannot be read.</summary>
    public static long? DefinedFunctions(ReadOnlySpan<byte> module)
    {
        if (module.Length < 8 || !module[..4].SequenceEqual("\0asm"u8))
        {
            return null;
        }

        var at = 8;
        while (at < module.Length)
        {
            var id = module[at++];
            if (!TryLeb128(module, ref at, out var size) || size > (ulong)(module.Length - at))
            {
                return null;
            }

            if (id == FunctionSection)
            {
                var count = at;
                return TryLeb128(module, ref count, out var functions) ? (long)functions : null;
            }

            at += (int)size;
        }

        return 0;
    }

    private static bool TryLeb128(ReadOnlySpan<byte> bytes, ref int at, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (at >= bytes.Length)
            {
                return false;
            }

            var b = bytes[at++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }
}
