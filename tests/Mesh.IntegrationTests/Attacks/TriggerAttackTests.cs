using System.Net;
using Mesh.Cli.Parsing;
using Mesh.Contracts.HostCalls;
using Mesh.Contracts.Triggers;
using Mesh.Contracts.Wire;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.IntegrationTests.Attacks;

/// <summary>
/// HTTP routes and schedules under deploy/nats-permissions/nats.conf, as an attacker would try them:
/// the gateway and nodes work with their least-privilege users, and neither can read or plant what
/// it was not given (schedules hold tokens; routes and schedules are the operator's to write); a
/// caller's forged HTTP header on a direct call is refused, never trusted.
/// </summary>
public sealed class TriggerAttackTests(PermissionedMesh fixture) : IClassFixture<PermissionedMesh>
{
    private async Task DeployAsync(DirectoryInfo directory)
    {
        File.Copy(Path.Combine(AppContext.BaseDirectory, "modules", "echo.wat"), Path.Combine(directory.FullName, "echo.wat"));
        var seed = Path.Combine(directory.FullName, "issuer.seed");
        SeedFile.Write(seed, fixture.Mesh.Issuer, force: false);
        var counter = Path.Combine(MeshCluster.RepositoryRoot(), "examples", "counter-as", "build", "counter-as.wasm");
        var manifest = Path.Combine(directory.FullName, "mesh.yaml");
        await File.WriteAllTextAsync(manifest, $$"""
            name: guarded
            functions:
              greet:
                module: echo.wat
                route: POST /greet
                public: true
              tick:
                module: {{counter}}
                kv: ["counters/hits.:get,put"]
                schedule: { cron: "* * * * * *", input: guarded }
            buckets: [counters]
            """);
        var (exit, _, error) = await Cli.RunAsync("deploy", "-f", manifest, "--key", seed, "--nats", fixture.OperatorUrl);
        Assert.True(exit == 0, error);
    }

    [Fact]
    public async Task UnderLeastPrivilege_TheGatewayServesItsRoutes_AndTheNodeRunsSchedules()
    {
        var directory = Directory.CreateTempSubdirectory("mesh-guarded-");
        try
        {
            await DeployAsync(directory);
            var gateway = await GatewayFixture.StartGatewayAsync(fixture.UrlFor("mesh-gateway"), new Dictionary<string, string?> { ["Mesh:Nats:InboxPrefix"] = "_INBOX.gateway" });
            await using (gateway)
            {
                using var http = new HttpClient { BaseAddress = new Uri(global::Mesh.Gateway.GatewayHost.Addresses(gateway)[0]) };
                await Eventually.HoldsAsync(async () =>
                {
                    using var response = await http.PostAsync("/greet", new StringContent("hi"));
                    return response.StatusCode == HttpStatusCode.OK && await response.Content.ReadAsStringAsync() == "hi";
                }, "the public route answers through the gateway's own user");
                await gateway.StopAsync();
            }

            var counters = await new NatsKVContext(new NatsJSContext(fixture.Mesh.Client)).GetStoreAsync("counters");
            await Eventually.HoldsAsync(async () =>
            {
                var entry = await counters.TryGetEntryAsync<string>("hits.guarded");
                return entry.Success && long.Parse(entry.Value.Value!, System.Globalization.CultureInfo.InvariantCulture) >= 2;
            }, "the schedule runs through the node's own user");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task NeitherTheGatewayNorANode_CanReadOrPlantWhatIsNotTheirs()
    {
        await using var asGateway = fixture.Connect("mesh-gateway", "_INBOX.gateway");
        await asGateway.ConnectAsync();
        await using var asNode = fixture.Connect("mesh-node", "_INBOX.nodes");
        await asNode.ConnectAsync();
        var schedules = await new NatsKVContext(new NatsJSContext(fixture.Mesh.Client)).CreateOrUpdateStoreAsync(new NatsKVConfig(TriggerBuckets.Schedules));
        var routes = await new NatsKVContext(new NatsJSContext(fixture.Mesh.Client)).CreateOrUpdateStoreAsync(new NatsKVConfig(TriggerBuckets.Routes));

        async Task Refused(NatsConnection connection, string subject) =>
            await Assert.ThrowsAnyAsync<NatsException>(async () =>
                await connection.RequestAsync<byte[], byte[]>(subject, "{}"u8.ToArray(), replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(1) }));

        // The gateway: no schedules (they hold tokens), no jobs, no writing routes, no revocations.
        await Refused(asGateway, $"$JS.API.DIRECT.GET.KV_{TriggerBuckets.Schedules}");
        await Refused(asGateway, $"$JS.API.CONSUMER.CREATE.KV_{TriggerBuckets.Schedules}");
        await Refused(asGateway, "$KV.mesh-routes.evil.route");
        await Refused(asGateway, "mesh.job.echo");
        await Refused(asGateway, "$JS.API.CONSUMER.CREATE.KV_mesh-revocations");
        // A node: no planting a schedule or a route.
        await Refused(asNode, "$KV.mesh-schedules.evil.tick");
        await Refused(asNode, "$KV.mesh-routes.evil.route");
        Assert.False((await schedules.TryGetEntryAsync<byte[]>("evil.tick")).Success);
        Assert.False((await routes.TryGetEntryAsync<byte[]>("evil.route")).Success);
    }

    [Fact]
    public async Task AForgedHttpRequestHeader_OnADirectCall_IsRefused()
    {
        var module = await fixture.Mesh.DeployAsync(MeshCluster.Wat("echo"));
        var token = fixture.Mesh.Grant("echo", module);
        foreach (var forged in new[] { "not base64!", HttpTrigger.Encode([0x94, 0xa4]), HttpTrigger.Encode(HttpTrigger.Write(new HttpTrigger.Request("GET", "/x", "", [("x", "a\nb")]))), new string('A', HttpTrigger.MaxEncodedLength + 4) })
        {
            var reply = await fixture.Mesh.CallAsync("echo", token, "x", extraHeaders: new Dictionary<string, string> { [MeshHeaders.HttpRequest] = forged });
            Assert.Equal("request.malformed", reply.Status);
        }
    }
}
