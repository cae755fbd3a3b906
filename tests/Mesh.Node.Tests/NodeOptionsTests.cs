using Microsoft.Extensions.Configuration;

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

    [Fact]
    public void AListSetting_ReplacesTheDefault_InsteadOfAddingToIt()
    {
        var options = Bind(new() { ["Mesh:Jobs:Backoff:0"] = "00:00:00.100" });

        Assert.Equal([TimeSpan.FromMilliseconds(100)], options.Jobs.EffectiveBackoff);
    }

    [Fact]
    public void WithoutTheListSetting_TheDefaultsApply()
    {
        Assert.Equal(Mesh.Node.Jobs.JobOptions.DefaultBackoff, Bind([]).Jobs.EffectiveBackoff);
    }

    [Theory]
    [InlineData("00:00:00.600", "00:00:15")]
    [InlineData("00:00:00", "00:00:15")]
    [InlineData("00:00:00.250", "00:00:01")]
    public void ARevocationCheckTooSlowForTheOneSecondPromise_IsRefused(string interval, string grace)
    {
        var options = Valid with { Revocation = new() { CheckInterval = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture), GracePeriod = TimeSpan.Parse(grace, System.Globalization.CultureInfo.InvariantCulture) } };
        Assert.StartsWith("Mesh:Revocation:CheckInterval", options.Validate());
    }

    private static NodeOptions Bind(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build()
            .GetSection(NodeOptions.Section).Get<NodeOptions>() ?? new NodeOptions();
}
