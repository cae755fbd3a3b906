using Mesh.Contracts.HostCalls;
using Mesh.Contracts.Wire;
using Wasmtime;

namespace Mesh.Node.Sandbox;

/// <summary>
/// Runs one invocation: a fresh store holding its context, the limits set on it, instantiate, call
/// <c>run</c>, and a stable error code for every way that can end. The store is always disposed.
/// </summary>
public sealed class Invoker(WasmEngine engine)
{
    private const long MemoryHeadroom = 1024 * 1024;

    public MeshError Invoke(CompiledModule module, InvocationContext context)
    {
        var limits = context.Limits;
        using var store = new Store(engine.Engine, context);
        store.Fuel = (ulong)limits.Fuel;
        store.SetLimits(memorySize: limits.MemoryBytes, tableElements: 100_000, instances: 1, tables: 4, memories: 1);
        store.SetEpochDeadline((ulong)(limits.WallTimeMs / WasmEngine.EpochTickMilliseconds) + 1);

        Memory? memory = null;
        try
        {
            var instance = engine.Linker.Instantiate(store, module.Module);
            memory = instance.GetMemory(GuestAbi.MemoryExport);
            if (memory is null)
            {
                return new MeshError(ErrorCode.ModuleInvalid, $"the module exports no '{GuestAbi.MemoryExport}'");
            }

            var run = Entry(instance);
            if (run is null)
            {
                return new MeshError(ErrorCode.ModuleInvalid, $"the module exports no '{GuestAbi.RunExport}(i32) -> i32'");
            }

            if (module.HasInitializer)
            {
                instance.GetAction(GuestAbi.InitializeExport)?.Invoke();
            }

            var status = run(context.Input.Length);
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
        catch (WasmtimeException e) when (e.InnerException is GuestFault fault)
        {
            return new MeshError(fault.Code, fault.Message);
        }
        catch (TrapException trap) when (trap.Type == TrapCode.Interrupt && context.Stopping.IsCancellationRequested)
        {
            return new MeshError(ErrorCode.NodeStopped, "the node stopped while the function ran (its drain timeout passed); it may have had effects");
        }
        catch (TrapException trap)
        {
            return Classify(trap, memory, limits);
        }
        catch (WasmtimeException e)
        {
            // Instantiation failures: a memory that cannot fit the limit, a bad start function, ...
            var message = TrapText.OneLine(e.Message);
            return message.Contains("memory", StringComparison.OrdinalIgnoreCase) && message.Contains("limit", StringComparison.OrdinalIgnoreCase)
                ? new MeshError(ErrorCode.FunctionMemoryLimit, $"the module needs more memory than the limit of {limits.MemoryBytes} bytes: {message}")
                : new MeshError(ErrorCode.ModuleInvalid, message);
        }
    }

    private static Func<int, int>? Entry(Instance instance)
    {
        try
        {
            return instance.GetFunction<int, int>(GuestAbi.RunExport);
        }
        catch (WasmtimeException)
        {
            return null;
        }
    }

    private static MeshError Classify(TrapException trap, Memory? memory, EffectiveLimits limits) => trap.Type switch
    {
        TrapCode.OutOfFuel => new MeshError(ErrorCode.FunctionFuelExhausted, $"the function used all {limits.Fuel} fuel"),
        TrapCode.Interrupt => new MeshError(ErrorCode.FunctionTimeout, $"the function ran past its wall-time limit of {limits.WallTimeMs} ms"),
        TrapCode.StackOverflow => new MeshError(ErrorCode.FunctionStackOverflow, "the function overflowed its stack (too deep recursion)"),
        // memory.grow fails quietly at the limit, and toolchains react with unreachable (or a bad
        // access). Such a trap with memory within one grow step (1 MiB) of the limit is taken as
        // running out of memory; any other trap stays a trap.
        TrapCode.Unreachable or TrapCode.MemoryOutOfBounds when memory is not null && memory.GetLength() + MemoryHeadroom > limits.MemoryBytes =>
            new MeshError(ErrorCode.FunctionMemoryLimit, $"the function trapped at its memory limit of {limits.MemoryBytes} bytes ({trap.Type})"),
        _ => new MeshError(ErrorCode.FunctionTrap, $"the function trapped: {trap.Type}: {TrapText.OneLine(trap.Message)}"),
    };
}
