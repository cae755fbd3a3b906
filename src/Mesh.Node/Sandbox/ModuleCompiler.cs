using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using static Mesh.Node.Sandbox.Native.WasmtimeApi;

namespace Mesh.Node.Sandbox;

/// <summary>Compiles module bytes for the node's engine, with a stable code for every way that fails.</summary>
public static unsafe class ModuleCompiler
{
    public static Result<CompiledModule> Compile(WasmEngine engine, Sha256Digest digest, byte[] bytes)
    {
        IntPtr module;
        IntPtr error;
        fixed (byte* wasm = bytes)
        {
            error = wasmtime_module_new(engine.Handle, wasm, (nuint)bytes.Length, &module);
        }

        if (error == IntPtr.Zero)
        {
            return Result<CompiledModule>.Ok(new CompiledModule(digest, module, bytes.Length, engine));
        }

        var message = TakeErrorMessage(error);
        var detail = string.Join(": ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(3));
        // The pooling allocator refuses, at compile time, memories larger than the node's ceiling.
        return detail.Contains("pooling allocator", StringComparison.Ordinal)
            ? Result<CompiledModule>.Fail(ErrorCode.FunctionMemoryLimit, $"module {digest} asks for more memory than this node's ceiling: {detail}")
            : Result<CompiledModule>.Fail(ErrorCode.ModuleInvalid, $"module {digest} is not a valid WebAssembly module: {detail}");
    }
}
