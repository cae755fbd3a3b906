using Mesh.Contracts.Tokens;

namespace Mesh.Node.Sandbox;

/// <summary>What a host call does with one guest call; its return value is what the guest gets.</summary>
public delegate long HostCallBody(GuestCall call);

/// <summary>
/// One import, declared by the capability that owns it: its name, its parameters as docs/abi.md
/// writes them (<c>ptr</c> is an i32, <c>revision: i64</c> an i64), what it returns (<c>()</c>
/// for nothing), which grant it needs and what it does. The import check, the linker and the docs table all
/// read these declarations; nothing else lists the host calls.
/// </summary>
public sealed record HostCall(string Name, string[] Parameters, string Returns, HostCallBody Body)
{
    /// <summary>What a refusal names ("log", "publish", "key-value"), or null for calls every invocation may make.</summary>
    public string? Needs { get; init; }

    /// <summary>Whether a grant allows importing this call at all (finer checks happen per call).</summary>
    public Func<Grant, bool> Allowed { get; init; } = static _ => true;

    /// <summary>The module it is imported from: <c>mesh</c>, or WASI's <c>wasi_snapshot_preview1</c>.</summary>
    public string Module { get; init; } = Contracts.HostCalls.GuestAbi.ImportModule;

    /// <summary>The import as a module names it: <c>mesh.read_input</c>.</summary>
    public string Import => $"{Module}.{Name}";

    /// <summary>docs/abi.md's way of writing the signature: <c>(ptr, len) -> n</c>.</summary>
    public string Signature => $"({string.Join(", ", Parameters)}) -> {Returns}";

    /// <summary>The wasm type of each parameter: i64 where the name says so, else i32.</summary>
    public bool[] ParameterIsI64 => [.. Parameters.Select(p => p.EndsWith(": i64", StringComparison.Ordinal))];

    /// <summary>Whether the result is an i64 (else an i32, or nothing).</summary>
    public bool ReturnsI64 => Returns == "i64";

    /// <summary>Whether it returns anything (WASI's <c>proc_exit</c> does not).</summary>
    public bool ReturnsNothing => Returns == "()";
}
