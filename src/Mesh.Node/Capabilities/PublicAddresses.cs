using System.Net;
using System.Net.Sockets;

namespace Mesh.Node.Capabilities;

/// <summary>
/// Which addresses a host name may lead a guest to: public ones only. Loopback, private, link-local
/// (cloud metadata at 169.254.169.254 included), carrier-grade NAT, unique-local, multicast and
/// unspecified addresses are reachable only through a rule that names the IP literally.
/// </summary>
public static class PublicAddresses
{
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                || (b[0] & 0xfe) == 0xfc // unique local fc00::/7 (AWS metadata fd00:ec2::254 included)
                || address.IsIPv6Teredo || (b[0] == 0x20 && b[1] == 0x02)); // 6to4 can wrap private IPv4
        }

        var v4 = address.GetAddressBytes();
        return !(v4[0] is 0 or 10 or 127 or >= 224
            || (v4[0] == 100 && v4[1] >= 64 && v4[1] <= 127) // carrier-grade NAT (Alibaba metadata 100.100.100.200)
            || (v4[0] == 169 && v4[1] == 254) // link-local, cloud metadata
            || (v4[0] == 172 && v4[1] >= 16 && v4[1] <= 31)
            || (v4[0] == 192 && v4[1] == 168)
            || (v4[0] == 192 && v4[1] == 0 && v4[2] == 0)
            || (v4[0] == 198 && (v4[1] == 18 || v4[1] == 19)));
    }
}
