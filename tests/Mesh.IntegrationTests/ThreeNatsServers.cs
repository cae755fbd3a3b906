using Mesh.Cli.Local;

namespace Mesh.IntegrationTests;

/// <summary>deploy/nats-cluster/nats.conf as three nats-server processes on loopback (n1, n2, n3), each with its own storage.</summary>
public static class ThreeNatsServers
{
    public static async Task<List<NatsServerProcess>> StartAsync()
    {
        var config = Path.Combine(MeshCluster.RepositoryRoot(), "deploy", "nats-cluster", "nats.conf");
        var ports = Enumerable.Range(0, 3).Select(_ => (Client: NatsServerProcess.FreePort(), Route: NatsServerProcess.FreePort())).ToArray();
        var servers = new List<NatsServerProcess>();
        for (var i = 0; i < 3; i++)
        {
            servers.Add(await NatsServerProcess.StartWithConfigAsync(config, ports[i].Client, new Dictionary<string, string>
            {
                ["NATS_NAME"] = $"n{i + 1}",
                ["NATS_HOST"] = "127.0.0.1",
                ["NATS_PORT"] = ports[i].Client.ToString(),
                ["NATS_CLUSTER_PORT"] = ports[i].Route.ToString(),
                ["NATS_ROUTE_1"] = $"nats-route://127.0.0.1:{ports[0].Route}",
                ["NATS_ROUTE_2"] = $"nats-route://127.0.0.1:{ports[1].Route}",
                ["NATS_ROUTE_3"] = $"nats-route://127.0.0.1:{ports[2].Route}",
            }));
        }

        return servers;
    }
}
