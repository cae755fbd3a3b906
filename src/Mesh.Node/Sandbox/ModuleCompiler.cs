using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using static Mesh.Node.Sandbox.Native.WasmtimeApi;

namespace Mesh.Node.Sandbox;

/// <summary>
/// Compiles module bytes for the node's engine lanes, with a stable code for every way that fails:
/// compiled once in the first lane, then loaded into the others from that compilation's image
/// (our own bytes, made a moment ago by the same Wasmtime with the same settings).
/// </summary>
public static unsafe class ModuleCompiler
{
    public static Result<CompiledModule> Compile(WasmEngine engine, Sha256Digest digest, byte[] bytes)
    {
        IntPtr first;
        IntPtr error;
        fixed (byte* wasm = bytes)
        {
            error = wasmtime_module_new(engine.Lanes[0].Handle, wasm, (nuint)bytes.Length, &first);
        }

        if (error != IntPtr.Zero)
        {
            var message = TakeErrorMessage(error);
            var detail = string.Join(": ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(3));
            // The pooling allocator refuses, at compile time, memories larger than the node's ceiling.
            return detail.Contains("pooling allocator", StringComparison.Ordinal)
                ? Result<CompiledModule>.Fail(ErrorCode.FunctionMemoryLimit, $"module {digest} asks for more memory than this node's ceiling: {detail}")
                : Result<CompiledModule>.Fail(ErrorCode.ModuleInvalid, $"module {digest} is not a valid WebAssembly module: {detail}");
        }

        var modules = new IntPtr[engine.Lanes.Length];
        modules[0] = first;
        Vector image;
        error = wasmtime_module_serialize(first, &image);
        if (error != IntPtr.Zero)
        {
            wasmtime_module_delete(first);
            return Result<CompiledModule>.Fail(ErrorCode.ModuleInvalid, $"module {digest} could not be prepared: {TakeErrorMessage(error)}");
        }

        try
        {
            for (var lane = 1; lane < modules.Length; lane++)
            {
                IntPtr loaded;
                error = wasmtime_module_deserialize(engine.Lanes[lane].Handle, (byte*)image.Data, image.Size, &loaded);
                if (error != IntPtr.Zero)
                {
                    foreach (var module in modules.Where(m => m != IntPtr.Zero))
                    {
                        wasmtime_module_delete(module);
                    }

                    return Result<CompiledModule>.Fail(ErrorCode.ModuleInvalid, $"module {digest} could not be loaded: {TakeErrorMessage(error)}");
                }

                modules[lane] = loaded;
            }

            return Result<CompiledModule>.Ok(new CompiledModule(digest, modules, bytes.Length, (long)image.Size, engine));
        }
        finally
        {
            wasm_byte_vec_delete(&image);
        }
    }
}
