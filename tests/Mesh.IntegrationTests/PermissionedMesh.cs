using Mesh.Cli.Deployment;
using Mesh.Cli.Local;
using Mesh.Node;
using Mesh.Node.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NATS.Client.Core;

namespace Mesh.IntegrationTests;

/// <summary>
/// A nats-server run from <c>deploy/nats-permissions/nats.conf</c>, the least-privilege users the
/// docs recommend: an operator who deploys, a node that runs as <c>mesh-node</c>, and two callers,
/// alice and bob, each reading replies under their own inbox prefix only.
/// </summary>
public sealed class PermissionedMesh : IAsyncLifetime
{
    private readonly Dictionary<string, string> _passwords = new()
    {
        ["MESH_OPERATOR_PASSWORD"] = Secret(),
        ["MESH_NODE_PASSWORD"] = Secret(),
        ["MESH_GATEWAY_PASSWORD"] = Secret(),
        ["MESH_SECRETS_PASSWORD"] = Secret(),
        ["ALICE_PASSWORD"] = Secret(),
        ["BOB_PASSWORD"] = Secret(),
    };

    private NatsServerProcess? _server;

    public MeshCluster Mesh { get; private set; } = null!;

    public NatsConnection Alice { get; private set; } = null!;

    public NatsConnection Bob { get; private set; } = null!;

    /// <summary>The node serving the callers (replaced by <see cref="ReplaceNodeAsync"/>).</summary>
    public IHost Node { get; private set; } = null!;

    public int Port { get; } = NatsServerProcess.FreePort();

    public string OperatorUrl => UrlFor("operator");

    public string NodeUrl => UrlFor("mesh-node");

    public NodeStats NodeStats => Node.Services.GetRequiredService<NodeStats>();

    public async Task InitializeAsync()
    {
        var config = Path.Combine(MeshCluster.RepositoryRoot(), "deploy", "nats-permissions", "nats.conf");
        _server = await NatsServerProcess.StartWithConfigAsync(config, Port, new Dictionary<string, string>(_passwords) { ["NATS_PORT"] = Port.ToString() });

        // The operator deploys what nodes only open: the revocation bucket, the job streams, buckets.
        Mesh = await MeshCluster.StartAsync(OperatorUrl, nodes: 0);
        await MeshDeclaration.DeclareAsync(Mesh.Client, new ModuleUpload.Buckets(ModuleOptions.DefaultBucket), TextWriter.Null, CancellationToken.None);
        var kv = new NATS.Client.KeyValueStore.NatsKVContext(new NATS.Client.JetStream.NatsJSContext(Mesh.Client));
        await kv.CreateStoreAsync(new NATS.Client.KeyValueStore.NatsKVConfig("tenants"));
        Node = await StartNodeAsync();
        Alice = await CallerAsync("alice");
        Bob = await CallerAsync("bob");
    }

    /// <summary>A node as the mesh-node user, with its inbox under _INBOX.nodes.</summary>
    public Task<IHost> StartNodeAsync() => Mesh.StartNodeAsync(new Dictionary<string, string?>
    {
        ["Mesh:Nats:Url"] = NodeUrl,
        ["Mesh:Nats:InboxPrefix"] = "_INBOX.nodes",
    });

    /// <summary>Starts a new node and stops the old one: the new one starts from what NATS holds.</summary>
    public async Task ReplaceNodeAsync()
    {
        var old = Node;
        Node = await StartNodeAsync();
        await Mesh.StopNodeAsync(old);
    }

    /// <summary>Kills the server and starts it again on the same port and storage, as a crash and restart would.</summary>
    public Task RestartServerAsync(TimeSpan downtime) => _server!.RestartAsync(downtime);

    public string PasswordOf(string user) => _passwords[PasswordVariable(user)];

    /// <summary>A URL with the user's credentials in it, as a person would pass --nats.</summary>
    public string UrlFor(string user) => $"nats://{user}:{_passwords[PasswordVariable(user)]}@127.0.0.1:{Port}";

    public async Task DisposeAsync()
    {
        await Alice.DisposeAsync();
        await Bob.DisposeAsync();
        await Mesh.DisposeAsync();
        _server?.Dispose();
    }

    /// <summary>A connection as <paramref name="user"/> (not connected yet).</summary>
    public NatsConnection Connect(string user, string inboxPrefix) => new(new NatsOpts
    {
        Url = $"nats://127.0.0.1:{Port}",
        AuthOpts = new NatsAuthOpts { Username = user, Password = _passwords[PasswordVariable(user)] },
        InboxPrefix = inboxPrefix,
        RequestReplyMode = NatsRequestReplyMode.Direct,
    });

    private async Task<NatsConnection> CallerAsync(string user)
    {
        var connection = Connect(user, "_INBOX." + user);
        await connection.ConnectAsync();
        return connection;
    }

    private static string PasswordVariable(string user) => user switch
    {
        "operator" => "MESH_OPERATOR_PASSWORD",
        "mesh-node" => "MESH_NODE_PASSWORD",
        "mesh-gateway" => "MESH_GATEWAY_PASSWORD",
        "mesh-secrets" => "MESH_SECRETS_PASSWORD",
        _ => user.ToUpperInvariant() + "_PASSWORD",
    };

    // nats.conf reads an environment value as it would a literal: a password of digits would be a number.
    private static string Secret() => "pw-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
}
