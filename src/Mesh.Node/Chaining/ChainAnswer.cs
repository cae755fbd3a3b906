using Mesh.Contracts.Wire;

namespace Mesh.Node.Chaining;

/// <summary>
/// What a step that does not simply hand on answers its caller with: an error naming the step that
/// failed, or a fan-out's gathered outputs (a MessagePack map of function to output).
/// </summary>
public sealed record ChainAnswer(MeshError Error, string Function, int Step, ReadOnlyMemory<byte> Body = default, string? FanOut = null, string? Denied = null)
{
    public bool IsOk => Error.Code == ErrorCode.None;
}
