using System.Runtime.InteropServices;
using System.Text;
using Mesh.Contracts.Wire;
using static Mesh.Node.Sandbox.Native.WasmtimeApi;

namespace Mesh.Node.Sandbox.Native;

/// <summary>
/// Defines each host call on the linker as one unmanaged callback, defined once for the node.
/// The callback finds its call through the data pointer it was defined with and the invocation
/// through its store's data, counts the call against the host-call limit, and runs it. Nothing may
/// unwind through native frames: a limit crossed (<see cref="GuestFault"/>) or any other failure
/// is kept on the invocation and reported to Wasmtime as a trap, which stops the guest.
/// </summary>
internal static unsafe class HostCallTrampoline
{
    /// <summary>Defines every call; the handles returned keep the calls alive until the linker goes.</summary>
    public static GCHandle[] Define(IntPtr linker, IReadOnlyList<HostCall> calls)
    {
        var handles = new GCHandle[calls.Count];
        for (var i = 0; i < calls.Count; i++)
        {
            var call = calls[i];
            handles[i] = GCHandle.Alloc(call);
            var module = Encoding.UTF8.GetBytes(call.Module);
            var name = Encoding.UTF8.GetBytes(call.Name);
            var type = FunctionType(call);
            try
            {
                fixed (byte* m = module)
                fixed (byte* n = name)
                {
                    var error = wasmtime_linker_define_func_unchecked(linker, m, (nuint)module.Length, n, (nuint)name.Length, type, &Enter, GCHandle.ToIntPtr(handles[i]), IntPtr.Zero);
                    if (error != IntPtr.Zero)
                    {
                        throw new InvalidOperationException($"defining {call.Import}: {TakeErrorMessage(error)}");
                    }
                }
            }
            finally
            {
                wasm_functype_delete(type);
            }
        }

        return handles;
    }

    [UnmanagedCallersOnly]
    private static IntPtr Enter(IntPtr data, IntPtr caller, long* values, nuint count)
    {
        var call = (HostCall)GCHandle.FromIntPtr(data).Target!;
        var store = wasmtime_caller_context(caller);
        var context = (InvocationContext)GCHandle.FromIntPtr(wasmtime_context_get_data(store)).Target!;
        try
        {
            context.CountHostCall();
            byte* bytes = null;
            long length = 0;
            if (context.Memory is { } known)
            {
                bytes = wasmtime_memory_data(store, (byte*)&known);
                length = (long)wasmtime_memory_data_size(store, (byte*)&known);
            }
            else
            {
                var memory = stackalloc long[ExternBytes / sizeof(long)];
                fixed (byte* name = "memory"u8)
                {
                    if (wasmtime_caller_export_get(caller, name, 6, (byte*)memory) && ((byte*)memory)[0] == ExternMemory)
                    {
                        var item = (byte*)memory + ExternItem;
                        bytes = wasmtime_memory_data(store, item);
                        length = (long)wasmtime_memory_data_size(store, item);
                    }
                }
            }

            var result = call.Body(new GuestCall(context, values, bytes, length));
            if (!call.ReturnsNothing)
            {
                values[0] = result;
            }

            return IntPtr.Zero;
        }
        catch (GuestFault fault)
        {
            return Stop(context, fault);
        }
        catch (Exception e)
        {
            // A failure inside the node, not the guest's doing: the guest stops, the node carries on.
            return Stop(context, new GuestFault(ErrorCode.FunctionTrap, $"the host call {call.Import} failed in the node ({e.GetType().Name}); the function was stopped", e));
        }
    }

    private static IntPtr Stop(InvocationContext context, GuestFault fault)
    {
        context.Fault ??= fault;
        var message = Encoding.UTF8.GetBytes(fault.Message);
        fixed (byte* text = message)
        {
            return wasmtime_trap_new(text, (nuint)message.Length);
        }
    }

    private static IntPtr FunctionType(HostCall call)
    {
        var kinds = call.ParameterIsI64;
        var parameters = stackalloc IntPtr[Math.Max(kinds.Length, 1)];
        for (var i = 0; i < kinds.Length; i++)
        {
            parameters[i] = wasm_valtype_new(kinds[i] ? ValueI64 : ValueI32);
        }

        var result = stackalloc IntPtr[1];
        var results = call.ReturnsNothing ? 0 : 1;
        if (results == 1)
        {
            result[0] = wasm_valtype_new(call.ReturnsI64 ? ValueI64 : ValueI32);
        }

        Vector parameterVector;
        Vector resultVector;
        wasm_valtype_vec_new(&parameterVector, (nuint)kinds.Length, parameters);
        wasm_valtype_vec_new(&resultVector, (nuint)results, result);
        return wasm_functype_new(&parameterVector, &resultVector);
    }
}
