using System.Collections.Immutable;
using Mesh.Contracts.Wire;
using Mesh.Node.Sandbox;

namespace Mesh.Node.Invocations;

/// <summary>How one message ended: an error (code None for success) and, on success, the output.</summary>
public sealed class InvocationOutcome(string invocationId, string function, int step, MeshError error, InvocationContext? context, string tokenId) : IDisposable
{
    public string InvocationId { get; } = invocationId;

    /// <summary>The function called (the subject, where it named none).</summary>
    public string Function { get; } = function;

    /// <summary>The call's place in its chain, 1 for a direct call.</summary>
    public int Step { get; } = step;

    public MeshError Error { get; } = error;

    public bool IsOk => Error.Code == ErrorCode.None;

    public string TokenId { get; } = tokenId;

    public ReadOnlyMemory<byte> Output => context?.Output ?? default;

    /// <summary>The run's context, for handing its output on to the next steps.</summary>
    public InvocationContext? Context => context;

    /// <summary>The functions the output goes to next; empty when the output answers the caller.</summary>
    public ImmutableArray<string> Then => IsOk && context is not null ? context.Grant.Then : [];

    /// <summary>Capabilities the guest tried and was refused, comma-separated; null when none.</summary>
    public string? Denied => context?.Denied is { Count: > 0 } denied
        ? string.Join(',', denied) + (context.DeniedNotKept > 0 ? $",... ({context.DeniedNotKept} more)" : "")
        : null;

    public void Dispose() => context?.Dispose();
}
