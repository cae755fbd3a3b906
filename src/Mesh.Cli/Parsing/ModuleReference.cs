using Mesh.Contracts.Tokens;

namespace Mesh.Cli.Parsing;

/// <summary>A module named by <c>sha256:HEX</c> or by a <c>.wasm</c> file whose digest is taken.</summary>
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

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException("io", $"--module: cannot read '{value}': {e.Message}");
        }

        return bytes.AsSpan().StartsWith(WasmMagic)
            ? Sha256Digest.Of(bytes)
            : throw CliException.Usage($"--module '{value}' is not a WebAssembly module (no \\0asm header)");
    }
}
