using Mesh.Cli.Local;
using Mesh.Gateway;
using Microsoft.AspNetCore.Builder;

namespace Mesh.IntegrationTests;

/// <summary>
/// A nats-server, two nodes and a gateway (real Kestrel on a free loopback port) of their own,
/// and an HttpClient to it. The gateway is quick to give up on a slow body, so that test is short.
/// </summary>
public sealed class GatewayFixture : OwnMeshFixture
{
    protected override int Nodes => 2;

    public WebApplication Gateway { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public Uri Address { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Gateway = await StartGatewayAsync(Url);
        Address = new Uri(GatewayHost.Addresses(Gateway)[0]);
        Http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public static async Task<WebApplication> StartGatewayAsync(string natsUrl, IDictionary<string, string?>? settings = null)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Mesh:Nats:Url"] = natsUrl,
            ["Mesh:Gateway:Listen"] = "127.0.0.1:0",
            ["Mesh:Gateway:Timeout"] = "00:00:10",
            ["Mesh:Gateway:MinBodyBytesPerSecond"] = "100",
            ["Mesh:Gateway:MinBodyRateGrace"] = "00:00:02",
            ["Mesh:Gateway:RoutesResync"] = "00:00:02",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }

        var gateway = GatewayHost.Build([], overrides, embedded: true);
        await gateway.StartAsync();
        return gateway;
    }

    public override async Task DisposeAsync()
    {
        Http?.Dispose();
        if (Gateway is not null)
        {
            await Gateway.StopAsync();
            await Gateway.DisposeAsync();
        }
        await base.DisposeAsync();
    }
}
