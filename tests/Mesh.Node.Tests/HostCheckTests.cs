using Mesh.Dashboard;

namespace Mesh.Node.Tests;

/// <summary>Issue 26 §5: which Host names the dashboard serves (no DNS name an attacker could rebind, unless configured).</summary>
public sealed class HostCheckTests
{
    private readonly HostCheck _check = new(["dash.example.com", "*.mesh.internal"]);

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.0.0.5")]
    [InlineData("[::1]")]
    [InlineData("::1")]
    [InlineData("localhost")]
    [InlineData("LOCALHOST")]
    [InlineData("localhost.")]
    [InlineData("dashboard.localhost")]
    [InlineData("dash.example.com")]
    [InlineData("Dash.Example.Com")]
    [InlineData("a.mesh.internal")]
    [InlineData("b.a.mesh.internal")]
    public void Served(string host) => Assert.True(_check.IsAllowed(host));

    [Theory]
    [InlineData("attacker.example")]
    [InlineData("localhost.attacker.example")]
    [InlineData("127.0.0.1.nip.io")]
    [InlineData("xdash.example.com")]
    [InlineData("dash.example.com.attacker.example")]
    [InlineData("mesh.internal")]
    [InlineData("amesh.internal")]
    [InlineData("")]
    public void Refused(string host) => Assert.False(_check.IsAllowed(host));

    [Theory]
    [InlineData("dash.example.com:8090")]
    [InlineData("https://dash.example.com")]
    [InlineData("*")]
    [InlineData("*.")]
    [InlineData("dash example")]
    public void AnAllowedHostThatIsNotAName_IsASettingsProblem(string host) =>
        Assert.Contains("AllowedHosts", new DashboardOptions { AllowedHosts = [host] }.Validate("nats://127.0.0.1:4222"), StringComparison.Ordinal);
}
