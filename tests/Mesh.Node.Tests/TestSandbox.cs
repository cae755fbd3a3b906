using System.Text;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Capabilities;
using Mesh.Node.Sandbox;
using Mesh.Node.Wasi;
using Wasmtime;

namespace Mesh.Node.Tests;

/// <summary>
/// The real Wasmtime engine with every capability a node registers (WASI included) and no NATS
/// in between: a module compiled, its imports checked against a test grant, and invoked.
/// </summary>
public sealed class TestSandbox : IDisposable
{
    private readonly HttpCapability _http;

    public TestSandbox()
    {
        var options = Microsoft.Extensions.Options.Options.Create(Options);
        // Messaging is wired to a connection that is never opened: these modules do not message.
        var nats = new NATS.Client.Core.NatsConnection();
        var messaging = new MessagingCapability(nats, new Mesh.Node.Chaining.HopTokens(), new Mesh.Node.Messaging.NodeStats(), TimeProvider.System, options, new ListLogger<MessagingCapability>());
        var kv = new KvCapability(nats, new Mesh.Node.Messaging.NodeStats(), options, new ListLogger<KvCapability>());
        var tokens = new Mesh.Node.Tokens.VerifiedTokenCache(new TokenVerifier(new TokenVerifierOptions(), TimeProvider.System), new Mesh.Node.Tokens.VerifiedTokenCacheOptions(), TimeProvider.System);
        var revocations = new Mesh.Node.Revocation.RevocationList(nats, tokens, TimeProvider.System, options, new ListLogger<Mesh.Node.Revocation.RevocationList>());
        var secrets = new Mesh.Node.Secrets.SecretClient(nats, TimeProvider.System, revocations, options, new ListLogger<Mesh.Node.Secrets.SecretClient>());
        _http = new HttpCapability(new Mesh.Node.Messaging.NodeStats(), new SystemHostResolver(), secrets, options, new ListLogger<HttpCapability>());
        var log = new LogCapability(Log, new Mesh.Node.FunctionLogs.FunctionLogPublisher(nats, options, TimeProvider.System, new ListLogger<Mesh.Node.FunctionLogs.FunctionLogPublisher>()));
        HostCalls = new HostCallTable([new InvocationIo(), log, messaging, kv, _http, new WasiPreview1(log, new Mesh.Node.Messaging.NodeStats(), TimeProvider.System, new ListLogger<WasiPreview1>())]);
        Engine = new WasmEngine(options, HostCalls);
        Invoker = new Invoker(Engine);
    }

    public NodeOptions Options { get; } = new() { Execution = new ExecutionOptions { Concurrency = 4 } };

    /// <summary>What guests logged (<c>mesh.log</c> and WASI's stderr).</summary>
    public ListLogger<LogCapability> Log { get; } = new();

    public WasmEngine Engine { get; }

    public Invoker Invoker { get; }

    public HostCallTable HostCalls { get; }

    /// <summary>A test module (tests/modules or examples/wat) from its text.</summary>
    public static byte[] Wasm(string name) =>
        Module.ConvertText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "modules", name + ".wat")));

    public (MeshError Error, string Output, InvocationContext Context) Run(byte[] bytes, string input = "", CapabilitySet? capabilities = null, Limits? limits = null)
    {
        var loaded = ModuleCompiler.Compile(Engine, Sha256Digest.Of(bytes), bytes);
        if (!loaded.IsOk)
        {
            return (loaded.Error, "", null!);
        }

        using var compiled = loaded.Value;
        var grant = TestGrants.For("f", compiled.Digest, capabilities, limits);
        if (HostCalls.Check(compiled, grant) is { } refused)
        {
            return (refused, "", null!);
        }

        var context = new InvocationContext(grant, Encoding.UTF8.GetBytes(input), EffectiveLimits.From(grant.Limits, Options.Ceilings), "test-1");
        var error = Invoker.Invoke(compiled, context);
        return (error, Encoding.UTF8.GetString(context.Output.Span), context);
    }

    public void Dispose()
    {
        Engine.Dispose();
        _http.Dispose();
    }
}
