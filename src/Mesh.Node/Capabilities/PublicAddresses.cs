using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Mesh.Node.Capabilities;

/// <summary>
/// Which addresses a host name may lead a guest to: globally reachable ones only. Refused are every
/// range the IANA IPv4 and IPv6 special-purpose address registries mark as not globally reachable
/// (loopback, private, link-local with cloud metadata, shared CGNAT space, documentation and
/// benchmarking ranges such as 192.0.2.0/24, 2001:db8::/32 and 3fff::/20, discard-only, ...),
/// multicast, and for IPv6 anything outside global unicast 2000::/3 (unique-local fc00::/7,
/// link-local, site-local, SRv6 5f00::/16, local-use NAT64 64:ff9b:1::/48). An address that carries
/// an IPv4 address inside it (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::/96,
/// 6to4 2002::/16, Teredo 2001::/32) is judged by the IPv4 address it leads to, since 64:ff9b::7f00:1
/// reaches 127.0.0.1 through a translator. Such addresses are reachable only through a rule that
/// names the IP literally.
/// </summary>
public static class PublicAddresses
{
    private static readonly (IPNetwork Network, string Name)[] NotGlobalV4 = Table(
        ("0.0.0.0/8", "this network"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared address space (carrier-grade NAT; Alibaba metadata)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local (cloud metadata)"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.0.2.0/24", "documentation (TEST-NET-1)"),
        ("192.88.99.0/24", "deprecated 6to4 relay anycast"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation (TEST-NET-2)"),
        ("203.0.113.0/24", "documentation (TEST-NET-3)"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
        ("255.255.255.255/32", "limited broadcast"));

    private static readonly IPNetwork GlobalUnicastV6 = IPNetwork.Parse("2000::/3");

    // Inside 2000::/3: not globally reachable, except where a more specific entry below says so.
    private static readonly (IPNetwork Network, string Name)[] NotGlobalV6 = Table(
        ("2001::/23", "IETF protocol assignments"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"));

    private static readonly IPNetwork[] GlobalV6Exceptions = [.. new[]
    {
        "2001:1::1/128", "2001:1::2/128", "2001:1::3/128", "2001:3::/32", "2001:4:112::/48", "2001:20::/28", "2001:30::/28",
    }.Select(IPNetwork.Parse)];

    private static readonly IPNetwork Compatible = IPNetwork.Parse("::/96");
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");
    private static readonly IPNetwork Teredo = IPNetwork.Parse("2001::/32");

    public static bool IsPublic(IPAddress address) => WhyNotPublic(address) is null;

    /// <summary>Null for a globally reachable address; else the range that is not, for the refusal's reason.</summary>
    public static string? WhyNotPublic(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return WhyNotPublicV4(address);
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return "not an IP address";
        }

        var bytes = address.GetAddressBytes();
        if (Embedded(address, bytes) is var (form, inner))
        {
            return WhyNotPublicV4(inner) is { } why ? $"{form} of {inner}, {why}" : null;
        }

        if (!GlobalUnicastV6.Contains(address))
        {
            return "outside IPv6 global unicast 2000::/3 (loopback, unspecified, unique-local, link-local, multicast, ...)";
        }

        if (GlobalV6Exceptions.Any(n => n.Contains(address)))
        {
            return null;
        }

        return NotGlobalV6.FirstOrDefault(e => e.Network.Contains(address)) is { Name: not null } entry ? $"{entry.Network} ({entry.Name})" : null;
    }

    private static string? WhyNotPublicV4(IPAddress address) =>
        NotGlobalV4.FirstOrDefault(e => e.Network.Contains(address)) is { Name: not null } entry ? $"{entry.Network} ({entry.Name})" : null;

    // The IPv4 address an IPv6 address leads to, where it carries one.
    private static (string Form, IPAddress Inner)? Embedded(IPAddress address, byte[] bytes)
    {
        // IPNetwork does not match mapped addresses against ::ffff:0:0/96; the address knows.
        if (address.IsIPv4MappedToIPv6)
        {
            return ("IPv4-mapped", new IPAddress(bytes.AsSpan(12, 4)));
        }

        if (Nat64.Contains(address))
        {
            return ("NAT64", new IPAddress(bytes.AsSpan(12, 4)));
        }

        if (Compatible.Contains(address))
        {
            return ("IPv4-compatible", new IPAddress(bytes.AsSpan(12, 4)));
        }

        if (SixToFour.Contains(address))
        {
            return ("6to4", new IPAddress(bytes.AsSpan(2, 4)));
        }

        if (Teredo.Contains(address))
        {
            // The client's address travels inverted in the last 32 bits.
            var client = ~BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(12, 4));
            Span<byte> inner = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(inner, client);
            return ("Teredo", new IPAddress(inner));
        }

        return null;
    }

    private static (IPNetwork, string)[] Table(params (string Cidr, string Name)[] entries) =>
        [.. entries.Select(e => (IPNetwork.Parse(e.Cidr), e.Name))];
}
