using System.Runtime.InteropServices;
using System.Text;
using N = Mesh.Bench.NativeProbe.NativeWasmtime;

namespace Mesh.Bench.NativeProbe;

/// <summary>
/// <c>examples/wat/echo.wat</c> run the way issue 13 proposes: an engine with the node's pooling
/// settings, the two host calls echo imports defined once on a linker as unmanaged callbacks, an
/// instance-pre per module, and per invocation a fresh store (fuel, epoch deadline, limits),
/// an instance from the instance-pre, the call, and the store deleted. Isolation between
/// invocations is as in the node: nothing but the compiled code outlives a store.
/// Not product code: a measurement, kept so the number is reproducible.
/// </summary>
public sealed unsafe class NativeEchoSandbox : IDisposable
{
    private readonly IntPtr _engine;
    private readonly IntPtr _pre;
    private readonly Invocation _invocation = new();
    private GCHandle _handle;

    public NativeEchoSandbox(byte[] wasm)
    {
        var config = N.wasm_config_new();
        N.wasmtime_config_consume_fuel_set(config, true);
        N.wasmtime_config_epoch_interruption_set(config, true);
        N.wasmtime_config_gc_support_set(config, false);
        var pool = N.wasmtime_pooling_allocation_config_new();
        N.wasmtime_pooling_allocation_config_total_core_instances_set(pool, 8);
        N.wasmtime_pooling_allocation_config_total_memories_set(pool, 8);
        N.wasmtime_pooling_allocation_config_total_tables_set(pool, 8);
        N.wasmtime_pooling_allocation_config_total_gc_heaps_set(pool, 1);
        N.wasmtime_pooling_allocation_config_max_memory_size_set(pool, 64 << 20);
        N.wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(pool, 1 << 20);
        N.wasmtime_pooling_allocation_strategy_set(config, pool);
        _engine = N.wasm_engine_new_with_config(config);

        IntPtr module;
        fixed (byte* bytes = wasm)
        {
            Check(N.wasmtime_module_new(_engine, bytes, (nuint)wasm.Length, &module));
        }

        var linker = N.wasmtime_linker_new(_engine);
        var type = TwoInOneOut();
        Define(linker, "read_input", type, &ReadInput);
        Define(linker, "write_output", type, &WriteOutput);
        IntPtr pre;
        Check(N.wasmtime_linker_instantiate_pre(linker, module, &pre));
        _pre = pre;
        _handle = GCHandle.Alloc(_invocation);
    }

    /// <summary>One invocation of echo with <paramref name="input"/>: returns the output's length.</summary>
    public int Invoke(byte[] input)
    {
        _invocation.Input = input;
        var store = N.wasmtime_store_new(_engine, GCHandle.ToIntPtr(_handle), IntPtr.Zero);
        try
        {
            var context = N.wasmtime_store_context(store);
            N.wasmtime_store_limiter(store, 16 << 20, 10_000, 1, 1, 1);
            Check(N.wasmtime_context_set_fuel(context, 10_000_000));
            N.wasmtime_context_set_epoch_deadline(context, 100);
            var instance = stackalloc byte[32];
            IntPtr trap;
            Check(N.wasmtime_instance_pre_instantiate(_pre, context, instance, &trap));
            ThrowIfTrap(trap);
            var run = stackalloc byte[64];
            fixed (byte* name = "run"u8)
            {
                if (!N.wasmtime_instance_export_get(context, instance, name, 3, run))
                {
                    throw new InvalidOperationException("echo exports no run");
                }
            }

            // One wasmtime_val_raw_t: the argument in, the status out.
            var value = stackalloc long[2];
            value[0] = input.Length;
            Check(N.wasmtime_func_call_unchecked(context, run + 8, value, 1, &trap));
            ThrowIfTrap(trap);
            return value[0] == 0 ? _invocation.Written : -1;
        }
        finally
        {
            N.wasmtime_store_delete(store);
        }
    }

    public void Dispose()
    {
        if (_handle.IsAllocated)
        {
            _handle.Free();
        }
    }

    private sealed class Invocation
    {
        public byte[] Input = [];
        public int Written;
    }

    [UnmanagedCallersOnly]
    private static IntPtr ReadInput(IntPtr env, IntPtr caller, long* values, nuint count)
    {
        var memory = Memory(caller, out var invocation);
        var (at, length) = ((int)values[0], (int)values[2]);
        invocation.Input.AsSpan(0, length).CopyTo(new Span<byte>(memory + at, length));
        values[0] = length;
        return IntPtr.Zero;
    }

    [UnmanagedCallersOnly]
    private static IntPtr WriteOutput(IntPtr env, IntPtr caller, long* values, nuint count)
    {
        var memory = Memory(caller, out var invocation);
        invocation.Written = new Span<byte>(memory + (int)values[0], (int)values[2]).Length;
        values[0] = 0;
        return IntPtr.Zero;
    }

    // The guest's memory and the invocation, found from the store the call runs in.
    private static byte* Memory(IntPtr caller, out Invocation invocation)
    {
        var context = N.wasmtime_caller_context(caller);
        invocation = (Invocation)GCHandle.FromIntPtr(N.wasmtime_context_get_data(context)).Target!;
        var export = stackalloc byte[64];
        fixed (byte* name = "memory"u8)
        {
            N.wasmtime_caller_export_get(caller, name, 6, export);
        }

        return N.wasmtime_memory_data(context, export + 8);
    }

    private static IntPtr TwoInOneOut()
    {
        var parameters = stackalloc IntPtr[2] { N.wasm_valtype_new(0), N.wasm_valtype_new(0) };
        var results = stackalloc IntPtr[1] { N.wasm_valtype_new(0) };
        var parameterVector = stackalloc nuint[2];
        var resultVector = stackalloc nuint[2];
        N.wasm_valtype_vec_new(parameterVector, 2, parameters);
        N.wasm_valtype_vec_new(resultVector, 1, results);
        return N.wasm_functype_new(parameterVector, resultVector);
    }

    private static void Define(IntPtr linker, string name, IntPtr type, delegate* unmanaged<IntPtr, IntPtr, long*, nuint, IntPtr> callback)
    {
        var module = Encoding.UTF8.GetBytes("mesh");
        var function = Encoding.UTF8.GetBytes(name);
        fixed (byte* m = module)
        fixed (byte* f = function)
        {
            Check(N.wasmtime_linker_define_func_unchecked(linker, m, (nuint)module.Length, f, (nuint)function.Length, type, callback, IntPtr.Zero, IntPtr.Zero));
        }
    }

    private static void ThrowIfTrap(IntPtr trap)
    {
        if (trap != IntPtr.Zero)
        {
            throw new InvalidOperationException("echo trapped");
        }
    }

    private static void Check(IntPtr error)
    {
        if (error != IntPtr.Zero)
        {
            var message = stackalloc nuint[2];
            N.wasmtime_error_message(error, message);
            throw new InvalidOperationException(Marshal.PtrToStringUTF8((IntPtr)message[1], (int)message[0]));
        }
    }
}
