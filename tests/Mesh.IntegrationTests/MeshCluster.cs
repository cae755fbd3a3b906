using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node;
using Mesh.Node.Messaging;
using Mesh.Node.Modules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.ObjectStore;

namespace Mesh.IntegrationTests;

/// <summary>
/// Real nodes (in this process) on a real NATS server, an issuer, and a plain NATS client that
/// calls functions the way any language would: a request with a Mesh-Token header.
/// </summary>
public sealed class MeshCluster : IAsyncDisposable
{
    private readonly List<IHost> _nodes = [];

    private MeshCluster(string url, SigningKey issuer, NatsConnection client)
    {
        Url = url;
        Issuer = issuer;
        Client = client;
    }

    public string Url { get; }

    public SigningKey Issuer { get; }

    public NatsConnection Client { get; }

    public IReadOnlyList<IHost> Nodes => _nodes;

    /// <param name="declare">Declare the revocation bucket and job streams first, as mesh deploy does: nodes never make them.</param>
    public static async Task<MeshCluster> StartAsync(string url, int nodes = 1, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, bool declare = true)
    {
        var client = new NatsConnection(new NatsOpts { Url = url, Name = "mesh-test-client", RequestReplyMode = NatsRequestReplyMode.Direct });
        await client.ConnectAsync();
        var cluster = new MeshCluster(url, SigningKey.Generate(), client);
        if (declare)
        {
            await cluster.DeclareAsync();
        }

        for (var i = 0; i < nodes; i++)
        {
            await cluster.StartNodeAsync(settings, services);
        }

        return cluster;
    }

    /// <summary>A cluster whose NATS is not up yet: nodes may start; the client connects later (<see cref="ConnectClientAsync"/>).</summary>
    public static Task<MeshCluster> StartWithoutServerAsync(string url) =>
        Task.FromResult(new MeshCluster(url, SigningKey.Generate(), new NatsConnection(new NatsOpts { Url = url, Name = "mesh-test-client", RequestReplyMode = NatsRequestReplyMode.Direct })));

    public async Task ConnectClientAsync() => await Client.ConnectAsync();

    /// <summary>What an operator's mesh deploy declares: the revocation bucket and the job streams.</summary>
    public Task DeclareAsync(int? replicas = null) =>
        Mesh.Cli.Deployment.MeshDeclaration.DeclareAsync(Client, new Mesh.Cli.Deployment.ModuleUpload.Buckets(ModuleOptions.DefaultBucket, replicas), TextWriter.Null, CancellationToken.None);

    public async Task<IHost> StartNodeAsync(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Mesh:Nats:Url"] = Url,
            ["Mesh:Tokens:TrustedRoots:0"] = Issuer.PublicKeyText,
            ["Mesh:Execution:Concurrency"] = "4",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }

        var host = NodeHost.Build([], overrides, services: services);
        await host.StartAsync();
        await host.Services.GetServices<IHostedService>().OfType<FunctionService>().Single().Ready.WaitAsync(TimeSpan.FromSeconds(20));
        _nodes.Add(host);
        return host;
    }

    public async Task StopNodeAsync(IHost node)
    {
        await node.StopAsync();
        node.Dispose();
        _nodes.Remove(node);
    }

    /// <summary>The repository's root (where Mesh.sln is), for built examples.</summary>
    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Mesh.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Mesh.sln not found above the test directory");
    }

    public static byte[] Wat(string name) =>
        Wasmtime.Module.ConvertText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "modules", name + ".wat")));

    public async Task<Sha256Digest> DeployAsync(byte[] wasm) => await PutAsync(Sha256Digest.Of(wasm), wasm);

    /// <summary>Stores bytes under any digest name: what an attacker with write access to the bucket could do.</summary>
    public async Task<Sha256Digest> PutAsync(Sha256Digest name, byte[] bytes)
    {
        var objects = new NatsObjContext(new NatsJSContext(Client));
        var store = await objects.CreateObjectStoreAsync(new NatsObjConfig("mesh-modules"));
        await store.PutAsync(ModuleStore.ObjectName(name), bytes);
        return name;
    }

    public byte[] GrantBytes(string function, Sha256Digest module, CapabilitySet? capabilities = null, Limits? limits = null, TimeSpan? ttl = null, SigningKey? issuer = null)
    {
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var issued = TokenIssuer.Issue(issuer ?? Issuer, new BlockClaims
        {
            TokenId = TokenIssuer.NewTokenId(),
            IssuedAt = now,
            Expires = now + (long)(ttl ?? TimeSpan.FromHours(1)).TotalSeconds,
            MaxDepth = 4,
            Functions = [new FunctionGrant(function, [module], capabilities ?? CapabilitySet.None, limits ?? Limits.None)],
        });
        Assert.True(issued.IsOk, issued.ToString());
        return issued.Value!;
    }

    /// <summary>One token for several functions, as a chain needs.</summary>
    public string GrantAll(IEnumerable<FunctionGrant> functions, int maxDepth = 4, bool seal = false)
    {
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var issued = TokenIssuer.Issue(Issuer, new BlockClaims
        {
            TokenId = TokenIssuer.NewTokenId(),
            IssuedAt = now,
            Expires = now + 3600,
            MaxDepth = maxDepth,
            Functions = [.. functions],
        }, seal);
        Assert.True(issued.IsOk, issued.ToString());
        return TokenCodec.ToText(issued.Value!);
    }

    public string Grant(string function, Sha256Digest module, CapabilitySet? capabilities = null, Limits? limits = null) =>
        TokenCodec.ToText(GrantBytes(function, module, capabilities, limits));

    public async Task<Reply> CallAsync(
        string function, string? token, string input = "", string? module = null, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? extraHeaders = null)
    {
        var headers = new NatsHeaders();
        foreach (var (name, value) in extraHeaders ?? new Dictionary<string, string>())
        {
            headers[name] = value;
        }

        if (token is not null)
        {
            headers[MeshHeaders.Token] = token;
        }

        if (module is not null)
        {
            headers[MeshHeaders.Module] = module;
        }

        var reply = await Client.RequestAsync<byte[], byte[]>(
            Subjects.FunctionPrefix + function,
            System.Text.Encoding.UTF8.GetBytes(input),
            headers,
            replyOpts: new NatsSubOpts { Timeout = timeout ?? TimeSpan.FromSeconds(30) });
        return Reply.From(reply);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes.ToArray())
        {
            await StopNodeAsync(node);
        }

        await Client.DisposeAsync();
        Issuer.Dispose();
    }
}

/// <summary>A function's answer as a caller sees it.</summary>
public sealed record Reply(string Status, string? Message, string Output, string? Denied)
{
    public bool IsOk => Status == "ok";

    public static Reply From(NatsMsg<byte[]> msg)
    {
        string? Header(string name) => msg.Headers?.TryGetValue(name, out var v) == true ? v.ToString() : null;
        return new Reply(Header(MeshHeaders.Status) ?? "(none)", Header(MeshHeaders.Message), System.Text.Encoding.UTF8.GetString(msg.Data ?? []), Header(MeshHeaders.Denied))
        {
            Function = Header(MeshHeaders.Function),
            Step = Header(MeshHeaders.Step),
            FanOut = Header(MeshHeaders.FanOut),
            Data = msg.Data ?? [],
        };
    }

    /// <summary>The function that answered (for an error: the step that failed).</summary>
    public string? Function { get; init; }

    public string? Step { get; init; }

    public string? FanOut { get; init; }

    public byte[] Data { get; init; } = [];

    public ErrorCode Code => ErrorCodes.TryParse(Status, out var code) ? code : (ErrorCode)(-1);
}
