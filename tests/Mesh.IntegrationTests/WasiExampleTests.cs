using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Rules;
using Mesh.Contracts.Wire;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.IntegrationTests;

/// <summary>
/// Functions in any language that targets WASI, compiled from source by scripts/build-examples.sh
/// (Rust with Debian's cargo against sdk/rust, C with wasi-libc), and hostile WASI modules, on a
/// real node over a real nats-server.
/// </summary>
[Collection(NatsServerDefinition.Name)]
public sealed class WasiExampleTests(NatsServerFixture nats)
{
    private static async Task<byte[]> ExampleAsync(string name)
    {
        var path = Path.Combine(MeshCluster.RepositoryRoot(), "examples", name, "build", name + ".wasm");
        Assert.True(File.Exists(path), $"{path} is missing: scripts/build-examples.sh builds it (scripts/test.sh runs it first)");
        return await File.ReadAllBytesAsync(path);
    }

    private static async Task<string> LogsAsync(MeshCluster mesh, string function, string expected)
    {
        var output = "";
        await Eventually.HoldsAsync(async () =>
        {
            var (_, text, _) = await Cli.RunAsync("logs", function, "--nats", mesh.Url);
            output = text;
            return text.Contains(expected, StringComparison.Ordinal);
        }, $"mesh logs {function} shows '{expected}'");
        return output;
    }

    [Fact]
    public async Task HelloRust_ReadsStdin_WritesStdout_AndItsStderrIsItsLog()
    {
        var mesh = await nats.SharedMeshAsync();
        var function = "hello-rust-" + Guid.NewGuid().ToString("N")[..8];
        var token = mesh.Grant(function, await mesh.DeployAsync(await ExampleAsync("hello-rust")), CapabilitySet.None with { Log = true });

        var reply = await mesh.CallAsync(function, token, "Ferris");
        var empty = await mesh.CallAsync(function, token, "  ");

        Assert.True(reply.IsOk, reply.ToString());
        Assert.Equal("Hello from Rust, Ferris!", reply.Output);
        await LogsAsync(mesh, function, "info greeting Ferris");
        // mesh::fail: set_error, then a non-zero exit, is the function's own failure with its message.
        Assert.Equal(ErrorCode.FunctionError, empty.Code);
        Assert.Equal("say who to greet (UTF-8)", empty.Message);
    }

    [Fact]
    public async Task CounterRust_CountsInKeyValue_EvenSideBySide()
    {
        var mesh = await nats.SharedMeshAsync();
        await new NatsKVContext(new NatsJSContext(mesh.Client)).CreateStoreAsync(new NatsKVConfig("counters"));
        var token = mesh.Grant("counter-rust", await mesh.DeployAsync(await ExampleAsync("counter-rust")), CapabilitySet.None with { Kv = [new KvRule("counters", "hits.", KvOperations.Get | KvOperations.Put)] });
        var name = $"n{Guid.NewGuid():N}";

        Assert.Equal("1", (await mesh.CallAsync("counter-rust", token, name)).Output);
        var side = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => mesh.CallAsync("counter-rust", token, name)));

        Assert.All(side, r => Assert.True(r.IsOk, r.ToString()));
        Assert.Equal(Enumerable.Range(2, 8), side.Select(r => int.Parse(r.Output, System.Globalization.CultureInfo.InvariantCulture)).Order());
    }

    [Fact]
    public async Task CounterRust_WithoutAKeyValueGrant_FailsWithTheRefusal()
    {
        var mesh = await nats.SharedMeshAsync();
        var token = mesh.Grant("counter-rust", await mesh.DeployAsync(await ExampleAsync("counter-rust")), CapabilitySet.None with { Kv = [new KvRule("counters", "other.", KvOperations.Get)] });

        var reply = await mesh.CallAsync("counter-rust", token, "ada");

        Assert.Equal(ErrorCode.FunctionError, reply.Code);
        Assert.StartsWith("cannot read hits.rust.ada: denied", reply.Message);
        Assert.Contains("counters/hits.rust.ada", reply.Denied);
    }

    [Fact]
    public async Task PaymentsRust_ReachesOnlyTheProviderItsTokenNames_ThroughTheSdksHttp()
    {
        using var provider = new LoopbackHttpServer();
        var mesh = await nats.SharedMeshAsync();
        var digest = await mesh.DeployAsync(await ExampleAsync("payments-rust"));
        Assert.True(RuleText.TryParseHttp($"POST http://127.0.0.1:{provider.Port}/v1/charges", out var rule, out _));
        var token = mesh.Grant("payments-rust", digest, CapabilitySet.None with { Http = [rule!] });

        var charged = await mesh.CallAsync("payments-rust", token, $"http://127.0.0.1:{provider.Port} 1999");
        var elsewhere = await mesh.CallAsync("payments-rust", token, "http://evil.example 1999");

        // The SDK's MessagePack request went through the node's strict reader, and its response back.
        Assert.True(charged.IsOk, charged.ToString());
        Assert.Equal("charged 1999: POST /v1/charges from loopback", charged.Output);
        Assert.Equal(1, provider.Requests);
        Assert.Equal(ErrorCode.FunctionError, elsewhere.Code);
        Assert.Equal("the token does not allow this provider", elsewhere.Message);
    }

    [Fact]
    public async Task HelloC_AMainWithWasiLibc_IsAFunction_AndUsesMeshH()
    {
        var mesh = await nats.SharedMeshAsync();
        var function = "hello-c-" + Guid.NewGuid().ToString("N")[..8];
        var token = mesh.Grant(function, await mesh.DeployAsync(await ExampleAsync("hello-c")), CapabilitySet.None with { Log = true });

        var reply = await mesh.CallAsync(function, token, "Dennis\n");
        var empty = await mesh.CallAsync(function, token, "");

        Assert.True(reply.IsOk, reply.ToString());
        Assert.Equal("Hello from C, Dennis!", reply.Output);
        await LogsAsync(mesh, function, "info greeting from C");
        Assert.Equal(ErrorCode.FunctionTrap, empty.Code);
        Assert.Equal("the function exited with code 2 (proc_exit)", empty.Message);
        await LogsAsync(mesh, function, "info say who to greet");
    }

    [Theory]
    [InlineData("wasi-open-passwd", ErrorCode.FunctionTrap, "exited with code 76")]
    [InlineData("wasi-socket", ErrorCode.FunctionTrap, "exited with code 76")]
    [InlineData("wasi-fd3", ErrorCode.FunctionTrap, "exited with code 8")]
    [InlineData("wasi-stdout-flood", ErrorCode.FunctionOutputTooLarge, "exceeds the limit")]
    [InlineData("wasi-nested-exit", ErrorCode.FunctionTrap, "exited with code 7")]
    [InlineData("wasi-sleep", ErrorCode.FunctionTimeout, "slept past its wall-time limit")]
    public async Task HostileWasiModules_GetTheirCode_AndTheNodeServesOn(string module, ErrorCode expected, string message)
    {
        var mesh = await nats.SharedMeshAsync();
        var token = mesh.Grant(module, await mesh.DeployAsync(MeshCluster.Wat(module)), limits: Limits.None with { WallTimeMs = 500 });

        var reply = await mesh.CallAsync(module, token, "7");
        var echo = await mesh.CallAsync("wasi-echo", mesh.Grant("wasi-echo", await mesh.DeployAsync(MeshCluster.Wat("wasi-echo"))), "still here");

        Assert.Equal(expected, reply.Code);
        Assert.Contains(message, reply.Message);
        Assert.Equal("still here", echo.Output);
    }
}
