using Mesh.Contracts.Wire;

namespace Mesh.Node.Sandbox;

/// <summary>
/// Thrown inside a host call to stop the guest (a limit crossed). The trampoline catches it before
/// it reaches native frames, keeps it on the invocation and raises a trap; <see cref="Invoker"/>
/// then reports its code. Never leaves the node.
/// </summary>
internal sealed class GuestFault(ErrorCode code, string message, Exception? inNode = null) : Exception(message, inNode)
{
    public ErrorCode Code { get; } = code;
}
