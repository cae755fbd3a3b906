using Mesh.Node.Sandbox;

namespace Mesh.Node.Capabilities;

/// <summary>
/// A capability a guest can import: it declares its host calls, whether a grant allows each, and
/// their implementation, in one place. Registering one makes its calls exist; nothing else does.
/// </summary>
public interface ICapability
{
    IReadOnlyList<HostCall> HostCalls { get; }
}
