using Mesh.Contracts.Wire;

namespace Mesh.Node.Sandbox;

/// <summary>
/// Thrown from a host function to stop the guest (a limit crossed). Wasmtime unwinds the guest and
/// hands it back as the inner exception, where <see cref="Invoker"/> turns it into its code.
/// Never leaves the node.
/// </summary>
internal sealed class GuestFault(ErrorCode code, string message) : Exception(message)
{
    public ErrorCode Code { get; } = code;
}
