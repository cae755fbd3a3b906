using System.Runtime.InteropServices;

namespace Mesh.Node.Sandbox.Native;

/// <summary>
/// The part of Wasmtime's C API (the libwasmtime the Wasmtime package ships, version 50) that the
/// sandbox uses. The .NET binding over the same library allocates about 2.7 KB per invocation
/// (a Store wrapper with its caches, function and memory wrappers); through these calls an
/// invocation allocates nothing managed. Layouts this relies on, for version 50: a
/// <c>wasmtime_val_raw_t</c> is 16 bytes; a <c>wasmtime_extern_t</c> is its kind byte and, 8 bytes
/// in, its item (at most 24 bytes; <see cref="ExternBytes"/> are set aside); an instance is 16 bytes.
/// </summary>
internal static unsafe partial class WasmtimeApi
{
    private const string Library = "wasmtime";

    // SuppressGCTransition marks calls that only read or set a field of a store: they take no
    // lock, never block and never call back, so the runtime's GC transition would cost more than they do.

    /// <summary>Bytes set aside for one <c>wasmtime_extern_t</c> (32 in version 50).</summary>
    public const int ExternBytes = 64;

    /// <summary>Where a <c>wasmtime_extern_t</c>'s item starts.</summary>
    public const int ExternItem = 8;

    /// <summary>Bytes set aside for one <c>wasmtime_instance_t</c> (16 in version 50).</summary>
    public const int InstanceBytes = 32;

    public const byte ExternFunc = 0;
    public const byte ExternMemory = 3;

    public const byte ValueI32 = 0;
    public const byte ValueI64 = 1;

    /// <summary>A <c>wasm_*_vec_t</c>: a length and a pointer.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Vector
    {
        public nuint Size;
        public IntPtr Data;
    }

    [LibraryImport(Library)] public static partial IntPtr wasm_config_new();
    [LibraryImport(Library)] public static partial void wasmtime_config_consume_fuel_set(IntPtr config, [MarshalAs(UnmanagedType.U1)] bool enable);
    [LibraryImport(Library)] public static partial void wasmtime_config_epoch_interruption_set(IntPtr config, [MarshalAs(UnmanagedType.U1)] bool enable);
    [LibraryImport(Library)] public static partial void wasmtime_config_wasm_gc_set(IntPtr config, [MarshalAs(UnmanagedType.U1)] bool enable);
    [LibraryImport(Library)] public static partial void wasmtime_config_memory_reservation_set(IntPtr config, ulong bytes);
    [LibraryImport(Library)] public static partial void wasmtime_pooling_allocation_strategy_set(IntPtr config, IntPtr pool);
    [LibraryImport(Library)] public static partial IntPtr wasmtime_pooling_allocation_config_new();
    [LibraryImport(Library)] public static partial void wasmtime_pooling_allocation_config_delete(IntPtr pool);
    [LibraryImport(Library)] public static partial void wasmtime_pooling_allocation_config_total_core_instances_set(IntPtr pool, uint count);
    [LibraryImport(Library)] public static partial void wasmtime_pooling_allocation_config_total_memories_set(IntPtr pool, uint count);
    [LibraryImport(Library)] public static partial void wasmtime_pooling_allocation_config_total_tables_set(IntPtr pool, uint count);
    [LibraryImport(Library)] public static partial void wasmtime_pooling_allocation_config_total_stacks_set(IntPtr pool, uint count);
    [LibraryImport(Library)] public static partial void wasmtime_pooling_allocation_config_total_gc_heaps_set(IntPtr pool, uint count);
    [LibraryImport(Library)] public static partial void wasmtime_pooling_allocation_config_max_memory_size_set(IntPtr pool, nuint bytes);
    [LibraryImport(Library)] public static partial void wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(IntPtr pool, nuint bytes);
    [LibraryImport(Library)] public static partial void wasmtime_pooling_allocation_config_table_keep_resident_set(IntPtr pool, nuint bytes);
    [LibraryImport(Library)] public static partial IntPtr wasm_engine_new_with_config(IntPtr config);
    [LibraryImport(Library)] public static partial void wasm_engine_delete(IntPtr engine);
    [LibraryImport(Library)] public static partial void wasmtime_engine_increment_epoch(IntPtr engine);

    [LibraryImport(Library)] public static partial IntPtr wasmtime_module_new(IntPtr engine, byte* wasm, nuint length, IntPtr* module);
    [LibraryImport(Library)] public static partial void wasmtime_module_delete(IntPtr module);
    [LibraryImport(Library)] public static partial IntPtr wasmtime_module_serialize(IntPtr module, Vector* bytes);
    [LibraryImport(Library)] public static partial void wasmtime_module_imports(IntPtr module, Vector* imports);
    [LibraryImport(Library)] public static partial void wasmtime_module_exports(IntPtr module, Vector* exports);
    [LibraryImport(Library)] public static partial Vector* wasm_importtype_module(IntPtr import);
    [LibraryImport(Library)] public static partial Vector* wasm_importtype_name(IntPtr import);
    [LibraryImport(Library)] public static partial void wasm_importtype_vec_delete(Vector* imports);
    [LibraryImport(Library)] public static partial Vector* wasm_exporttype_name(IntPtr export);
    [LibraryImport(Library)] public static partial IntPtr wasm_exporttype_type(IntPtr export);
    [LibraryImport(Library)] public static partial void wasm_exporttype_vec_delete(Vector* exports);
    [LibraryImport(Library)] public static partial byte wasm_externtype_kind(IntPtr type);
    [LibraryImport(Library)] public static partial IntPtr wasm_externtype_as_functype_const(IntPtr type);
    [LibraryImport(Library)] public static partial Vector* wasm_functype_params(IntPtr type);
    [LibraryImport(Library)] public static partial Vector* wasm_functype_results(IntPtr type);
    [LibraryImport(Library)] public static partial IntPtr wasm_functype_new(Vector* parameters, Vector* results);
    [LibraryImport(Library)] public static partial void wasm_functype_delete(IntPtr type);
    [LibraryImport(Library)] public static partial IntPtr wasm_valtype_new(byte kind);
    [LibraryImport(Library)] public static partial byte wasm_valtype_kind(IntPtr type);
    [LibraryImport(Library)] public static partial void wasm_valtype_vec_new(Vector* vector, nuint size, IntPtr* types);
    [LibraryImport(Library)] public static partial void wasm_byte_vec_delete(Vector* bytes);

    [LibraryImport(Library)] public static partial IntPtr wasmtime_linker_new(IntPtr engine);
    [LibraryImport(Library)] public static partial void wasmtime_linker_delete(IntPtr linker);
    [LibraryImport(Library)]
    public static partial IntPtr wasmtime_linker_define_func_unchecked(
        IntPtr linker, byte* module, nuint moduleLength, byte* name, nuint nameLength, IntPtr type,
        delegate* unmanaged<IntPtr, IntPtr, long*, nuint, IntPtr> callback, IntPtr data, IntPtr finalizer);
    [LibraryImport(Library)] public static partial IntPtr wasmtime_linker_instantiate_pre(IntPtr linker, IntPtr module, IntPtr* pre);
    [LibraryImport(Library)] public static partial void wasmtime_instance_pre_delete(IntPtr pre);
    [LibraryImport(Library)] public static partial IntPtr wasmtime_instance_pre_instantiate(IntPtr pre, IntPtr context, byte* instance, IntPtr* trap);
    [LibraryImport(Library), SuppressGCTransition] [return: MarshalAs(UnmanagedType.U1)] public static partial bool wasmtime_instance_export_get(IntPtr context, byte* instance, byte* name, nuint length, byte* item);

    [LibraryImport(Library)] public static partial IntPtr wasmtime_store_new(IntPtr engine, IntPtr data, IntPtr finalizer);
    [LibraryImport(Library)] public static partial void wasmtime_store_delete(IntPtr store);
    [LibraryImport(Library), SuppressGCTransition] public static partial IntPtr wasmtime_store_context(IntPtr store);
    [LibraryImport(Library), SuppressGCTransition] public static partial void wasmtime_store_limiter(IntPtr store, long memoryBytes, long tableElements, long instances, long tables, long memories);
    [LibraryImport(Library), SuppressGCTransition] public static partial IntPtr wasmtime_context_set_fuel(IntPtr context, ulong fuel);
    [LibraryImport(Library), SuppressGCTransition] public static partial void wasmtime_context_set_epoch_deadline(IntPtr context, ulong ticks);
    [LibraryImport(Library), SuppressGCTransition] public static partial IntPtr wasmtime_context_get_data(IntPtr context);
    [LibraryImport(Library), SuppressGCTransition] public static partial IntPtr wasmtime_caller_context(IntPtr caller);
    [LibraryImport(Library), SuppressGCTransition] [return: MarshalAs(UnmanagedType.U1)] public static partial bool wasmtime_caller_export_get(IntPtr caller, byte* name, nuint length, byte* item);
    [LibraryImport(Library), SuppressGCTransition] public static partial byte* wasmtime_memory_data(IntPtr context, byte* memory);
    [LibraryImport(Library), SuppressGCTransition] public static partial nuint wasmtime_memory_data_size(IntPtr context, byte* memory);
    [LibraryImport(Library)] public static partial IntPtr wasmtime_func_call_unchecked(IntPtr context, byte* func, long* argumentsAndResults, nuint length, IntPtr* trap);

    [LibraryImport(Library)] public static partial IntPtr wasmtime_trap_new(byte* message, nuint length);
    [LibraryImport(Library)] [return: MarshalAs(UnmanagedType.U1)] public static partial bool wasmtime_trap_code(IntPtr trap, byte* code);
    [LibraryImport(Library)] public static partial void wasm_trap_message(IntPtr trap, Vector* message);
    [LibraryImport(Library)] public static partial void wasm_trap_delete(IntPtr trap);
    [LibraryImport(Library)] public static partial void wasmtime_error_message(IntPtr error, Vector* message);
    [LibraryImport(Library)] public static partial void wasmtime_error_delete(IntPtr error);

    /// <summary>A name or message vector as text (a trailing NUL, which trap messages carry, dropped).</summary>
    public static string Text(Vector* vector)
    {
        var length = (int)vector->Size;
        var bytes = (byte*)vector->Data;
        while (length > 0 && bytes[length - 1] == 0)
        {
            length--;
        }

        return length == 0 ? "" : System.Text.Encoding.UTF8.GetString(bytes, length);
    }

    /// <summary>An error's message; the error is deleted.</summary>
    public static string TakeErrorMessage(IntPtr error)
    {
        Vector message;
        wasmtime_error_message(error, &message);
        var text = Text(&message);
        wasm_byte_vec_delete(&message);
        wasmtime_error_delete(error);
        return text;
    }

    /// <summary>A trap's message and code (null for a trap a host function raised); the trap is deleted.</summary>
    public static string TakeTrapMessage(IntPtr trap, out WasmTrapCode? code)
    {
        byte raw;
        code = wasmtime_trap_code(trap, &raw) ? (WasmTrapCode)raw : null;
        Vector message;
        wasm_trap_message(trap, &message);
        var text = Text(&message);
        wasm_byte_vec_delete(&message);
        wasm_trap_delete(trap);
        return text;
    }
}
