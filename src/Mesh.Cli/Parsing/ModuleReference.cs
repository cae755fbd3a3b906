using Mesh.Contracts.Tokens;

namespace Mesh.Cli.Parsing;

/// <summary>
/// A module named by <c>sha256:HEX</c>, by a <c>.wasm</c> file, or by a <c>.wat</c> text file
/// (converted to the binary form, whose digest is what a grant names and what is deployed).
/// </summary>
public static class ModuleReference
{
    private static ReadOnlySpan<byte> WasmMagic => "\0asm"u8;

    public static Sha256Digest Resolve(string value)
    {
        if (value.StartsWith(Sha256Digest.Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return Sha256Digest.TryParse(value, out var digest)
                ? digest
                : throw CliException.Usage($"--module '{value}' is not sha256: followed by 64 hex digits");
        }

        return Sha256Digest.Of(ReadBytes(value));
    }

    /// <summary>The binary module in a .wasm or .wat file.</summary>
    public static byte[] ReadBytes(string path)
    {
        try
        {
            if (path.EndsWith(".wat", StringComparison.OrdinalIgnoreCase))
            {
                return Wasmtime.Module.ConvertText(File.ReadAllText(path));
            }

            var bytes = File.ReadAllBytes(path);
            return bytes.AsSpan().StartsWith(WasmMagic)
                ? bytes
                : throw CliException.Usage($"'{path}' is not a WebAssembly module (no \\0asm header)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException("io", $"cannot read '{path}': {e.Message}");
        }
        catch (Wasmtime.WasmtimeException e)
        {
            throw CliException.Usage($"'{path}' is not valid WebAssembly text: {e.Message.Split('\n')[0]}");
        }
    }
}
