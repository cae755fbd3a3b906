using System.Net;
using Mesh.Node.Capabilities;

namespace Mesh.Node.Tests;

/// <summary>
/// Every range of the IANA IPv4 and IPv6 special-purpose registries that is not globally reachable,
/// at both of its ends, and each embedded-IPv4 form judged by the address inside it.
/// </summary>
public class PublicAddressesTests
{
    [Theory]
    [InlineData("0.0.0.0")] [InlineData("0.255.255.255")]
    [InlineData("10.0.0.0")] [InlineData("10.255.255.255")]
    [InlineData("100.64.0.0")] [InlineData("100.127.255.255")] [InlineData("100.100.100.200")]
    [InlineData("127.0.0.1")] [InlineData("127.255.255.254")]
    [InlineData("169.254.0.0")] [InlineData("169.254.169.254")] [InlineData("169.254.255.255")]
    [InlineData("172.16.0.0")] [InlineData("172.31.255.255")]
    [InlineData("192.0.0.0")] [InlineData("192.0.0.255")]
    [InlineData("192.0.2.0")] [InlineData("192.0.2.2")] [InlineData("192.0.2.255")]
    [InlineData("192.88.99.1")]
    [InlineData("192.168.0.0")] [InlineData("192.168.255.255")]
    [InlineData("198.18.0.0")] [InlineData("198.19.255.255")]
    [InlineData("198.51.100.0")] [InlineData("198.51.100.255")]
    [InlineData("203.0.113.0")] [InlineData("203.0.113.255")]
    [InlineData("224.0.0.1")] [InlineData("239.255.255.255")]
    [InlineData("240.0.0.0")] [InlineData("255.255.255.254")] [InlineData("255.255.255.255")]
    public void IPv4NotGloballyReachable_IsRefused(string address) => AssertRefused(address);

    [Theory]
    [InlineData("::")] [InlineData("::1")]
    [InlineData("100::")] [InlineData("100::ffff:ffff:ffff:ffff")]
    [InlineData("64:ff9b:1::")] [InlineData("64:ff9b:1:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("2001::1")] [InlineData("2001:2::1")] [InlineData("2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("2001:db8::")] [InlineData("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("3fff::")] [InlineData("3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("5f00::1")]
    [InlineData("fc00::1")] [InlineData("fd00::2")] [InlineData("fd00:ec2::254")]
    [InlineData("fe80::1")] [InlineData("febf:ffff::1")]
    [InlineData("fec0::1")]
    [InlineData("ff02::1")] [InlineData("ff0e::1")]
    public void IPv6NotGloballyReachable_IsRefused(string address) => AssertRefused(address);

    // Each form leads to an IPv4 address, and is judged by it: a translator or relay takes
    // 64:ff9b::7f00:1 to 127.0.0.1 and 64:ff9b::a9fe:a9fe to the metadata service.
    [Theory]
    [InlineData("::ffff:127.0.0.1")] [InlineData("::ffff:169.254.169.254")] [InlineData("::ffff:192.0.2.2")]
    [InlineData("::127.0.0.1")] [InlineData("::10.0.0.1")] [InlineData("::169.254.169.254")]
    [InlineData("64:ff9b::127.0.0.1")] [InlineData("64:ff9b::a9fe:a9fe")] [InlineData("64:ff9b::10.1.2.3")] [InlineData("64:ff9b::192.0.2.2")]
    [InlineData("2002:7f00:1::1")] [InlineData("2002:a9fe:a9fe::")] [InlineData("2002:c000:202::1")]
    [InlineData("2001:0:4136:e378:8000:63bf:80ff:fffe")] // Teredo, client 127.0.0.1 (inverted: 80ff:fffe)
    [InlineData("2001:0:4136:e378:8000:63bf:5601:5601")] // Teredo, client 169.254.169.254 (inverted)
    public void EmbeddedIPv4ThatIsNotPublic_IsRefused(string address) => AssertRefused(address);

    [Theory]
    [InlineData("93.184.216.34")] [InlineData("1.1.1.1")] [InlineData("8.8.8.8")]
    [InlineData("9.255.255.255")] [InlineData("11.0.0.0")]
    [InlineData("100.63.255.255")] [InlineData("100.128.0.0")]
    [InlineData("172.15.255.255")] [InlineData("172.32.0.0")]
    [InlineData("192.0.1.255")] [InlineData("192.0.3.0")] [InlineData("192.31.196.1")] [InlineData("192.175.48.1")]
    [InlineData("198.17.255.255")] [InlineData("198.20.0.0")] [InlineData("223.255.255.255")]
    [InlineData("2606:4700:4700::1111")] [InlineData("2a00:1450:4001::1")]
    [InlineData("2001:4:112::1")] [InlineData("2001:20::1")] [InlineData("2001:db9::1")] [InlineData("2620:4f:8000::1")]
    [InlineData("::ffff:93.184.216.34")] [InlineData("::8.8.8.8")] [InlineData("64:ff9b::8.8.8.8")] [InlineData("2002:808:808::1")]
    [InlineData("2001:0:4136:e378:8000:63bf:f7f7:f7f7")] // Teredo, client 8.8.8.8 (inverted)
    public void GloballyReachable_IsAllowed(string address) =>
        Assert.True(PublicAddresses.IsPublic(IPAddress.Parse(address)), $"{address}: {PublicAddresses.WhyNotPublic(IPAddress.Parse(address))}");

    [Fact]
    public void ARefusal_NamesTheRangeAndTheAddressInside()
    {
        Assert.Equal("192.0.2.0/24 (documentation (TEST-NET-1))", PublicAddresses.WhyNotPublic(IPAddress.Parse("192.0.2.2")));
        Assert.Equal("NAT64 of 127.0.0.1, 127.0.0.0/8 (loopback)", PublicAddresses.WhyNotPublic(IPAddress.Parse("64:ff9b::7f00:1")));
    }

    private static void AssertRefused(string address) => Assert.False(PublicAddresses.IsPublic(IPAddress.Parse(address)), address);
}
