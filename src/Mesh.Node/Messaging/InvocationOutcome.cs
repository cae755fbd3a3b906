using Mesh.Contracts.Wire;
using Mesh.Node.Sandbox;

namespace Mesh.Node.Messaging;

/// <summary>How one message ended: an error (code None for success) and, on success, the output.</summary>
public sealed class InvocationOutcome(string invocationId, MeshError error, InvocationContext? context, string tokenId) : IDisposable
{
    public string InvocationId { get; } = invocationId;

    public MeshError Error { get; } = error;

    public bool IsOk => Error.Code == ErrorCode.None;

    public string TokenId { get; } = tokenId;

    public ReadOnlyMemory<byte> Output => context?.Output ?? default;

    /// <summary>Capabilities the guest tried and was refused, comma-separated; null when none.</summary>
    public string? Denied => context?.Denied is { Count: > 0 } denied ? string.Join(',', denied.Distinct()) : null;

    public void Dispose() => context?.Dispose();
}
