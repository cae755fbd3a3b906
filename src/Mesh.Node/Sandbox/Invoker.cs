using System.Runtime.InteropServices;
using Mesh.Contracts.HostCalls;
using Mesh.Contracts.Wire;
using Mesh.Node.Sandbox.Native;
using Microsoft.Extensions.Logging;
using static Mesh.Node.Sandbox.Native.WasmtimeApi;

namespace Mesh.Node.Sandbox;

/// <summary>
/// Runs one invocation: a fresh store holding its context, the limits set on it, an instance from
/// the module's instance-pre, <c>run</c> called, and a stable error code for every way that can
/// end. The store is always deleted, and with it everything the guest had: two invocations share
/// nothing but the compiled code. Allocates nothing managed on the way.
/// </summary>
public sealed unsafe class Invoker(WasmEngine engine, ILogger<Invoker>? logger = null)
{
    private const long MemoryHeadroom = 1024 * 1024;

    public MeshError Invoke(CompiledModule module, InvocationContext context)
    {
        if (module.InstancePre == IntPtr.Zero)
        {
            return new MeshError(ErrorCode.ModuleInvalid, module.LinkError ?? "the module imports what Mesh does not provide");
        }

        var limits = context.Limits;
        var handle = GCHandle.Alloc(context);
        var store = wasmtime_store_new(engine.Handle, GCHandle.ToIntPtr(handle), IntPtr.Zero);
        try
        {
            var storeContext = wasmtime_store_context(store);
            wasmtime_store_limiter(store, limits.MemoryBytes, 100_000, 1, 4, 1);
            var fuelError = wasmtime_context_set_fuel(storeContext, (ulong)limits.Fuel);
            if (fuelError != IntPtr.Zero)
            {
                return new MeshError(ErrorCode.FunctionTrap, TakeErrorMessage(fuelError));
            }

            wasmtime_context_set_epoch_deadline(storeContext, (ulong)(limits.WallTimeMs / WasmEngine.EpochTickMilliseconds) + 1);
            return Run(module, context, storeContext);
        }
        finally
        {
            // A last stderr line with no newline (a Rust panic's message, say) still reaches the log.
            context.StandardError?.Flush();
            wasmtime_store_delete(store);
            handle.Free();
        }
    }

    private MeshError Run(CompiledModule module, InvocationContext context, IntPtr store)
    {
        var limits = context.Limits;
        var instance = stackalloc long[InstanceBytes / sizeof(long)];
        IntPtr trap;
        var error = wasmtime_instance_pre_instantiate(module.InstancePre, store, (byte*)instance, &trap);
        if (error != IntPtr.Zero)
        {
            // Instantiation failures: a memory that cannot fit the limit, a bad start function, ...
            var message = TrapText.OneLine(TakeErrorMessage(error));
            return context.Fault is { } fault ? Faulted(fault)
                : message.Contains("memory", StringComparison.OrdinalIgnoreCase) && message.Contains("limit", StringComparison.OrdinalIgnoreCase)
                    ? new MeshError(ErrorCode.FunctionMemoryLimit, $"the module needs more memory than the limit of {limits.MemoryBytes} bytes: {message}")
                    : new MeshError(ErrorCode.ModuleInvalid, message);
        }

        if (trap != IntPtr.Zero)
        {
            return Ended(trap, context, store, memory: null);
        }

        if (!module.HasMemory)
        {
            return new MeshError(ErrorCode.ModuleInvalid, $"the module exports no '{GuestAbi.MemoryExport}'");
        }

        if (!module.HasRun && !module.HasStart)
        {
            return new MeshError(ErrorCode.ModuleInvalid, $"the module exports no '{GuestAbi.RunExport}(i32) -> i32' and no WASI '{GuestAbi.StartExport}'");
        }

        var memory = stackalloc long[ExternBytes / sizeof(long)];
        fixed (byte* memoryName = "memory"u8)
        {
            wasmtime_instance_export_get(store, (byte*)instance, memoryName, 6, (byte*)memory);
        }

        var memoryItem = (byte*)memory + ExternItem;
        context.Memory = MemoryHandle.From(memoryItem);
        // One raw value: the argument in, the status out (an initialiser and _start have neither).
        var value = stackalloc long[2];
        var function = stackalloc long[ExternBytes / sizeof(long)];
        var item = (byte*)function + ExternItem;
        if (!module.HasRun)
        {
            // A WASI command: the input is on stdin, stdout is the output, and it ends by returning
            // or by proc_exit (0 is success, see Faulted).
            Export(store, instance, "_start"u8, function);
            return Call(store, item, value, 0, context, memoryItem) ?? default;
        }

        if (module.HasInitializer)
        {
            Export(store, instance, "_initialize"u8, function);
            if (Call(store, item, value, 0, context, memoryItem) is { } failed)
            {
                return failed;
            }
        }

        Export(store, instance, "run"u8, function);
        value[0] = context.Input.Length;
        if (Call(store, item, value, 1, context, memoryItem) is { } failure)
        {
            return failure;
        }

        var status = (int)value[0];
        if (status == 0)
        {
            return default;
        }

        // A failure after the node's drain ended is most likely what the stop did to a host
        // call (it returned early): say so, so a job goes back for another node to run.
        return context.Stopping.IsCancellationRequested
            ? new MeshError(ErrorCode.NodeStopped, $"the node stopped while the function ran (its drain timeout passed) and it then failed ({context.GuestError ?? $"returned {status}"}); it may have had effects")
            : new MeshError(ErrorCode.FunctionError, context.GuestError ?? $"the function returned {status}");
    }

    // Reads the export of that name into the caller's extern (exports were checked at compile).
    private static void Export(IntPtr store, long* instance, ReadOnlySpan<byte> name, long* into)
    {
        fixed (byte* text = name)
        {
            wasmtime_instance_export_get(store, (byte*)instance, text, (nuint)name.Length, (byte*)into);
        }
    }

    private MeshError? Call(IntPtr store, byte* function, long* values, nuint length, InvocationContext context, byte* memory)
    {
        IntPtr trap;
        var error = wasmtime_func_call_unchecked(store, function, values, length, &trap);
        if (error != IntPtr.Zero)
        {
            var message = TrapText.OneLine(TakeErrorMessage(error));
            return context.Fault is { } fault ? Faulted(fault) : new MeshError(ErrorCode.FunctionTrap, $"the function trapped: {message}");
        }

        return trap == IntPtr.Zero ? null : Ended(trap, context, store, memory);
    }

    // A trap: a limit a host call enforced, the node stopping, or what the guest did.
    private MeshError Ended(IntPtr trap, InvocationContext context, IntPtr store, byte* memory)
    {
        var message = TakeTrapMessage(trap, out var code);
        if (context.Fault is { } fault)
        {
            return Faulted(fault);
        }

        var limits = context.Limits;
        return code switch
        {
            WasmTrapCode.Interrupt when context.Stopping.IsCancellationRequested =>
                new MeshError(ErrorCode.NodeStopped, "the node stopped while the function ran (its drain timeout passed); it may have had effects"),
            WasmTrapCode.OutOfFuel => new MeshError(ErrorCode.FunctionFuelExhausted, $"the function used all {limits.Fuel} fuel"),
            WasmTrapCode.Interrupt => new MeshError(ErrorCode.FunctionTimeout, $"the function ran past its wall-time limit of {limits.WallTimeMs} ms"),
            WasmTrapCode.StackOverflow => new MeshError(ErrorCode.FunctionStackOverflow, "the function overflowed its stack (too deep recursion)"),
            // memory.grow fails quietly at the limit, and toolchains react with unreachable (or a bad
            // access). Such a trap with memory within one grow step (1 MiB) of the limit is taken as
            // running out of memory; any other trap stays a trap.
            WasmTrapCode.Unreachable or WasmTrapCode.MemoryOutOfBounds when memory is not null && (long)wasmtime_memory_data_size(store, memory) + MemoryHeadroom > limits.MemoryBytes =>
                new MeshError(ErrorCode.FunctionMemoryLimit, $"the function trapped at its memory limit of {limits.MemoryBytes} bytes ({code})"),
            _ => new MeshError(ErrorCode.FunctionTrap, $"the function trapped: {Name(code)}: {TrapText.OneLine(message)}"),
        };
    }

    // A limit a host call enforced, or a failure inside the node, which the node's log keeps with its
    // exception (the caller gets the code and one line, never the trace).
    private MeshError Faulted(GuestFault fault)
    {
        // WASI's proc_exit(0): the function ended, successfully, from wherever it was.
        if (fault.Code == ErrorCode.None)
        {
            return default;
        }

        if (fault.InnerException is { } inNode && logger is not null)
        {
            Log.HostCallFailed(logger, inNode, fault.Message);
        }

        return new MeshError(fault.Code, fault.Message);
    }

    // The binding's names, which replies have always carried.
    private static string Name(WasmTrapCode? code) => code switch
    {
        null => "Unknown",
        { } known when Enum.IsDefined(known) => known.ToString(),
        { } other => ((int)other).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
