using System.Collections.Frozen;
using Mesh.Contracts.HostCalls;
using Mesh.Contracts.Tokens;
using static Mesh.Node.Sandbox.Native.WasmtimeApi;

namespace Mesh.Node.Sandbox;

/// <summary>
/// A module compiled once for this node's engine: its imports and exports read once, and its
/// instance-pre (the module linked against the node's host calls once, so an invocation only
/// instantiates). Used by invocations and held by the module cache, each through a reference: the
/// native code is freed when the cache has let it go and the last invocation using it has
/// finished, not at some later collection.
/// </summary>
public sealed unsafe class CompiledModule : IDisposable
{
    private readonly IntPtr _module;
    private int _references = 1;

    internal CompiledModule(Sha256Digest digest, IntPtr module, int sizeBytes, WasmEngine engine)
    {
        Digest = digest;
        _module = module;
        SizeBytes = sizeBytes;
        MemoryBytes = SerializedLength(module);
        Imports = ReadImports(module);
        ReadExports(module);
        // Linking fails when an import is missing or has another type. Only a module whose imports
        // all exist is linked; the import check refuses the others with a precise error first.
        if (engine.HostCalls.Provides(Imports))
        {
            IntPtr pre;
            var error = wasmtime_linker_instantiate_pre(engine.Linker, module, &pre);
            if (error == IntPtr.Zero)
            {
                InstancePre = pre;
            }
            else
            {
                LinkError = TrapText.OneLine(TakeErrorMessage(error));
            }
        }
    }

    public Sha256Digest Digest { get; }

    /// <summary>The module's bytes as deployed.</summary>
    public int SizeBytes { get; }

    /// <summary>What the compiled module occupies in memory (its serialized image), for the cache's bound.</summary>
    public long MemoryBytes { get; }

    /// <summary>Imports as <c>module.name</c>.</summary>
    public FrozenSet<string> Imports { get; }

    /// <summary>Whether the module exports an initialiser, so most invocations skip looking for one.</summary>
    public bool HasInitializer { get; private set; }

    /// <summary>Whether it exports a linear memory named <c>memory</c>.</summary>
    public bool HasMemory { get; private set; }

    /// <summary>Whether it exports <c>run(i32) -> i32</c>.</summary>
    public bool HasRun { get; private set; }

    /// <summary>Whether it exports WASI's <c>_start() -> ()</c>: a command, run when it has no <c>run</c>.</summary>
    public bool HasStart { get; private set; }

    /// <summary>The linked module, ready to instantiate; zero when linking failed.</summary>
    internal IntPtr InstancePre { get; }

    /// <summary>Why linking failed (an import of the wrong type), when it did.</summary>
    public string? LinkError { get; }

    /// <summary>Takes a reference for one use; false once the module is freed (then compile it again).</summary>
    public bool TryAcquire()
    {
        var references = Volatile.Read(ref _references);
        while (references > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, references + 1, references);
            if (seen == references)
            {
                return true;
            }

            references = seen;
        }

        return false;
    }

    /// <summary>Gives a reference back; the last one frees the native code.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            if (InstancePre != IntPtr.Zero)
            {
                wasmtime_instance_pre_delete(InstancePre);
            }

            wasmtime_module_delete(_module);
        }
    }

    /// <summary>The cache letting go of its own reference.</summary>
    public void Dispose() => Release();

    private static long SerializedLength(IntPtr module)
    {
        Vector bytes;
        var error = wasmtime_module_serialize(module, &bytes);
        if (error != IntPtr.Zero)
        {
            TakeErrorMessage(error);
            return 0;
        }

        var length = (long)bytes.Size;
        wasm_byte_vec_delete(&bytes);
        return length;
    }

    private static FrozenSet<string> ReadImports(IntPtr module)
    {
        Vector imports;
        wasmtime_module_imports(module, &imports);
        try
        {
            var names = new List<string>((int)imports.Size);
            for (nuint i = 0; i < imports.Size; i++)
            {
                var import = ((IntPtr*)imports.Data)[i];
                names.Add($"{Text(wasm_importtype_module(import))}.{Text(wasm_importtype_name(import))}");
            }

            return names.ToFrozenSet(StringComparer.Ordinal);
        }
        finally
        {
            wasm_importtype_vec_delete(&imports);
        }
    }

    private void ReadExports(IntPtr module)
    {
        Vector exports;
        wasmtime_module_exports(module, &exports);
        try
        {
            for (nuint i = 0; i < exports.Size; i++)
            {
                var export = ((IntPtr*)exports.Data)[i];
                var name = Text(wasm_exporttype_name(export));
                var type = wasm_exporttype_type(export);
                var kind = wasm_externtype_kind(type);
                if (name == GuestAbi.MemoryExport)
                {
                    HasMemory = kind == ExternMemory;
                }
                else if (name == GuestAbi.InitializeExport)
                {
                    HasInitializer = kind == ExternFunc && IsFunction(type, parameters: [], results: []);
                }
                else if (name == GuestAbi.StartExport)
                {
                    HasStart = kind == ExternFunc && IsFunction(type, parameters: [], results: []);
                }
                else if (name == GuestAbi.RunExport)
                {
                    HasRun = kind == ExternFunc && IsFunction(type, parameters: [ValueI32], results: [ValueI32]);
                }
            }
        }
        finally
        {
            wasm_exporttype_vec_delete(&exports);
        }
    }

    private static bool IsFunction(IntPtr externType, byte[] parameters, byte[] results)
    {
        var function = wasm_externtype_as_functype_const(externType);
        return Kinds(wasm_functype_params(function)).SequenceEqual(parameters) && Kinds(wasm_functype_results(function)).SequenceEqual(results);
    }

    private static byte[] Kinds(Vector* types)
    {
        var kinds = new byte[(int)types->Size];
        for (var i = 0; i < kinds.Length; i++)
        {
            kinds[i] = wasm_valtype_kind(((IntPtr*)types->Data)[i]);
        }

        return kinds;
    }
}
