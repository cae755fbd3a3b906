using System.Runtime.InteropServices;

namespace Mesh.Bench.NativeProbe;

/// <summary>
/// The few functions of Wasmtime's C API (the libwasmtime the Wasmtime package ships, version 50)
/// that a sandbox built on an instance-pre needs. A probe for issue 13: what a fresh store and an
/// instance from an instance-pre cost, against the .NET binding, before the node is built on it.
/// Layouts: a <c>wasmtime_val_raw_t</c> is 16 bytes; a <c>wasmtime_extern_t</c> is its kind byte
/// and, 8 bytes in, the item (64 bytes are set aside for it).
/// </summary>
internal static unsafe class NativeWasmtime
{
    private const string L = "wasmtime";
    [DllImport(L)] public static extern IntPtr wasm_config_new();
    [DllImport(L)] public static extern void wasmtime_config_consume_fuel_set(IntPtr c, [MarshalAs(UnmanagedType.U1)] bool v);
    [DllImport(L)] public static extern void wasmtime_config_epoch_interruption_set(IntPtr c, [MarshalAs(UnmanagedType.U1)] bool v);
    [DllImport(L)] public static extern IntPtr wasm_engine_new_with_config(IntPtr c);
    [DllImport(L)] public static extern void wasmtime_config_gc_support_set(IntPtr c, [MarshalAs(UnmanagedType.U1)] bool v);
    [DllImport(L)] public static extern IntPtr wasmtime_pooling_allocation_config_new();
    [DllImport(L)] public static extern void wasmtime_pooling_allocation_config_total_core_instances_set(IntPtr p, uint n);
    [DllImport(L)] public static extern void wasmtime_pooling_allocation_config_total_memories_set(IntPtr p, uint n);
    [DllImport(L)] public static extern void wasmtime_pooling_allocation_config_total_tables_set(IntPtr p, uint n);
    [DllImport(L)] public static extern void wasmtime_pooling_allocation_config_total_gc_heaps_set(IntPtr p, uint n);
    [DllImport(L)] public static extern void wasmtime_pooling_allocation_config_max_memory_size_set(IntPtr p, nuint n);
    [DllImport(L)] public static extern void wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(IntPtr p, nuint n);
    [DllImport(L)] public static extern void wasmtime_pooling_allocation_strategy_set(IntPtr c, IntPtr p);
    [DllImport(L)] public static extern IntPtr wasmtime_module_new(IntPtr e, byte* wasm, nuint len, IntPtr* module);
    [DllImport(L)] public static extern IntPtr wasmtime_linker_new(IntPtr e);
    [DllImport(L)] public static extern IntPtr wasmtime_linker_define_func_unchecked(IntPtr l, byte* m, nuint ml, byte* n, nuint nl, IntPtr ty, delegate* unmanaged<IntPtr, IntPtr, long*, nuint, IntPtr> cb, IntPtr data, IntPtr fin);
    [DllImport(L)] public static extern IntPtr wasmtime_linker_instantiate_pre(IntPtr l, IntPtr m, IntPtr* pre);
    [DllImport(L)] public static extern IntPtr wasmtime_store_new(IntPtr e, IntPtr data, IntPtr fin);
    [DllImport(L)] public static extern IntPtr wasmtime_store_context(IntPtr s);
    [DllImport(L)] public static extern void wasmtime_store_delete(IntPtr s);
    [DllImport(L)] public static extern void wasmtime_store_limiter(IntPtr s, long mem, long tableElems, long instances, long tables, long memories);
    [DllImport(L)] public static extern IntPtr wasmtime_context_set_fuel(IntPtr c, ulong fuel);
    [DllImport(L)] public static extern void wasmtime_context_set_epoch_deadline(IntPtr c, ulong ticks);
    [DllImport(L)] public static extern IntPtr wasmtime_instance_pre_instantiate(IntPtr pre, IntPtr ctx, byte* instance, IntPtr* trap);
    [DllImport(L)] [return: MarshalAs(UnmanagedType.U1)] public static extern bool wasmtime_instance_export_get(IntPtr ctx, byte* instance, byte* name, nuint len, byte* ext);
    [DllImport(L)] public static extern IntPtr wasmtime_func_call_unchecked(IntPtr ctx, byte* func, long* args, nuint n, IntPtr* trap);
    [DllImport(L)] public static extern void wasmtime_error_message(IntPtr e, nuint* vec);
    [DllImport(L)] public static extern IntPtr wasm_valtype_new(byte kind);
    [DllImport(L)] public static extern void wasm_valtype_vec_new(nuint* vec, nuint size, IntPtr* data);
    [DllImport(L)] public static extern IntPtr wasm_functype_new(nuint* p, nuint* r);
    [DllImport(L)] public static extern IntPtr wasmtime_caller_context(IntPtr caller);
    [DllImport(L)] public static extern IntPtr wasmtime_context_get_data(IntPtr ctx);
    [DllImport(L)] [return: MarshalAs(UnmanagedType.U1)] public static extern bool wasmtime_caller_export_get(IntPtr caller, byte* name, nuint len, byte* ext);
    [DllImport(L)] public static extern byte* wasmtime_memory_data(IntPtr ctx, byte* memory);
}
