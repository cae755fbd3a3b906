using Mesh.Cli.Local;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using Mesh.Node;
using Mesh.Node.Messaging;
using Mesh.Node.Modules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.ObjectStore;

namespace Mesh.Bench;

/// <summary>
/// What the end-to-end suites run on: a nats-server on loopback, an issuer, one client connection,
/// one node with default settings, and <c>examples/wat/echo.wat</c> deployed.
/// </summary>
public sealed class BenchMesh : IAsyncDisposable
{
    private readonly NatsServerProcess _server;

    private BenchMesh(NatsServerProcess server, SigningKey issuer, NatsConnection client, List<IHost> nodes, INatsObjStore store, byte[] echoWasm)
    {
        _server = server;
        Issuer = issuer;
        Client = client;
        _nodes = nodes;
        Store = store;
        EchoWasm = echoWasm;
        Echo = Sha256Digest.Of(echoWasm);
    }

    private readonly List<IHost> _nodes;

    public string Url => _server.Url;

    /// <summary>The nats-server's process id, for its CPU time.</summary>
    public int ServerProcessId => _server.ProcessId;

    public SigningKey Issuer { get; }

    public NatsConnection Client { get; }

    public IHost Node => Nodes[0];

    public IReadOnlyList<IHost> Nodes => _nodes;

    public INatsObjStore Store { get; }

    public byte[] EchoWasm { get; }

    public Sha256Digest Echo { get; }

    public static string EchoText => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "modules", "echo.wat"));

    public static async Task<BenchMesh> StartAsync(int nodeCount = 1)
    {
        var server = await NatsServerProcess.StartAsync();
        var issuer = SigningKey.Generate();
        var client = new NatsConnection(new NatsOpts { Url = server.Url, RequestReplyMode = NatsRequestReplyMode.Direct });
        await client.ConnectAsync();
        await Mesh.Cli.Deployment.MeshDeclaration.DeclareAsync(client, new Mesh.Cli.Deployment.ModuleUpload.Buckets(ModuleOptions.DefaultBucket), TextWriter.Null, CancellationToken.None);
        var nodes = new List<IHost>();
        for (var i = 0; i < nodeCount; i++)
        {
            nodes.Add(await StartNodeAsync(server.Url, issuer));
        }

        var echo = Wasmtime.Module.ConvertText(EchoText);
        var store = await new NatsObjContext(new NatsJSContext(client)).CreateObjectStoreAsync(new NatsObjConfig("mesh-modules"));
        await store.PutAsync(ModuleStore.ObjectName(Sha256Digest.Of(echo)), echo);
        return new BenchMesh(server, issuer, client, nodes, store, echo);
    }

    /// <summary>A function running <paramref name="module"/> (echo by default) with a fuel limit, handing on to <paramref name="then"/>.</summary>
    /// <summary>One more node, in this process, with default settings.</summary>
    public async Task<IHost> StartNodeAsync()
    {
        var node = await StartNodeAsync(Url, Issuer);
        _nodes.Add(node);
        return node;
    }

    private static async Task<IHost> StartNodeAsync(string url, SigningKey issuer)
    {
        var node = NodeHost.Build([], new Dictionary<string, string?>
        {
            ["Mesh:Nats:Url"] = url,
            ["Mesh:Tokens:TrustedRoots:0"] = issuer.PublicKeyText,
            ["Logging:LogLevel:Default"] = "Warning",
        });
        await node.StartAsync();
        await node.Services.GetServices<IHostedService>().OfType<FunctionService>().Single().Ready;
        return node;
    }

    public FunctionGrant Grant(string function, Sha256Digest? module = null, params string[] then) =>
        new(function, [module ?? Echo], CapabilitySet.None, new Limits(Fuel: 10_000_000)) { Then = [.. then] };

    public byte[] TokenBytes(params FunctionGrant[] functions)
    {
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        return TokenIssuer.Issue(Issuer, new BlockClaims
        {
            TokenId = TokenIssuer.NewTokenId(),
            IssuedAt = now,
            Expires = now + 3600,
            MaxDepth = 4,
            Functions = [.. functions],
        }).Value!;
    }

    public string Token(params FunctionGrant[] functions) => TokenCodec.ToText(TokenBytes(functions));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.StopAsync();
            node.Dispose();
        }

        await Client.DisposeAsync();
        Issuer.Dispose();
        _server.Dispose();
    }
}
