using System.Net;

namespace Mesh.Node.Capabilities;

/// <summary>
/// Turns a host name a guest's request names into addresses, which <see cref="HttpCapability"/>
/// then vets and connects to. The node's is the system resolver (<see cref="Dns"/>); a test
/// registers its own to map names to the addresses it wants to attack with.
/// </summary>
public interface IHostResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>The operating system's resolver.</summary>
public sealed class SystemHostResolver : IHostResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => Dns.GetHostAddressesAsync(host, cancellationToken);
}
