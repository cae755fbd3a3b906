using System.Net;
using System.Net.Sockets;
using Mesh.Node.Capabilities;

namespace Mesh.IntegrationTests;

/// <summary>A resolver the test controls: names map to the addresses an attacker's DNS would give.</summary>
public sealed class MappedHostResolver(IReadOnlyDictionary<string, string[]> names) : IHostResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        names.TryGetValue(host, out var addresses)
            ? Task.FromResult(addresses.Select(IPAddress.Parse).ToArray())
            : Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));
}
