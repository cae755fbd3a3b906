namespace Mesh.Node.Tests;

/// <summary>Settings that cannot work stop the node at start, naming the setting.</summary>
public sealed class NodeOptionsTests
{
    private static readonly NodeOptions Valid = new() { Tokens = new() { TrustedRoots = ["OAAAA"] } };

    [Theory]
    [InlineData("collector:4317", "grpc", "Mesh:Tracing:OtlpEndpoint")]
    [InlineData("ftp://collector", "grpc", "Mesh:Tracing:OtlpEndpoint")]
    [InlineData("http://collector:4318", "udp", "Mesh:Tracing:Protocol")]
    public void ATracingSettingThatCannotWork_IsNamed(string endpoint, string protocol, string setting)
    {
        var options = Valid with { Tracing = new TracingOptions { OtlpEndpoint = endpoint, Protocol = protocol } };
        Assert.StartsWith(setting, options.Validate());
    }

    [Theory]
    [InlineData("http://collector:4317", "grpc")]
    [InlineData("https://collector:4318/v1/traces", "http/protobuf")]
    public void ATracingEndpoint_IsAccepted(string endpoint, string protocol)
    {
        Assert.Null((Valid with { Tracing = new TracingOptions { OtlpEndpoint = endpoint, Protocol = protocol } }).Validate());
    }

    [Fact]
    public void NoTrustedIssuer_IsRefused()
    {
        Assert.StartsWith("Mesh:Tokens:TrustedRoots", new NodeOptions().Validate());
    }
}
