using System.Text.Json;
using Mesh.Cli;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using NATS.Client.Core;

namespace Mesh.IntegrationTests;

/// <summary>Calls through a real NATS server to a real node running real modules.</summary>
[Collection(NatsServerDefinition.Name)]
public sealed class NodeCallTests(NatsServerFixture nats) : IAsyncLifetime
{
    private MeshCluster _mesh = null!;
    private Sha256Digest _echo;
    private string _echoToken = "";

    public async Task InitializeAsync()
    {
        _mesh = await nats.SharedMeshAsync();
        _echo = await _mesh.DeployAsync(MeshCluster.Wat("echo"));
        _echoToken = _mesh.Grant("echo", _echo);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task AssertStillServingAsync()
    {
        var reply = await _mesh.CallAsync("echo", _echoToken, "still serving");
        Assert.True(reply.IsOk, reply.ToString());
        Assert.Equal("still serving", reply.Output);
    }

    [Fact]
    public async Task ValidCall_ReturnsTheFunctionsOutput()
    {
        var reply = await _mesh.CallAsync("echo", _echoToken, "hello over nats");

        Assert.True(reply.IsOk, reply.ToString());
        Assert.Equal("hello over nats", reply.Output);
    }

    [Fact]
    public async Task APlainNatsClient_WithTheHeaderSetByHand_CanCall()
    {
        // No Mesh code on the calling side: a connection, a subject, a header, bytes.
        await using var plain = new NatsConnection(new NatsOpts { Url = nats.Url });
        var headers = new NatsHeaders { ["Mesh-Token"] = _echoToken };
        var reply = await plain.RequestAsync<string, string>("mesh.fn.echo", "any language", headers);

        Assert.Equal("ok", reply.Headers!["Mesh-Status"].ToString());
        Assert.Equal("any language", reply.Data);
    }

    [Fact]
    public async Task MeshCallCommand_PrintsTheOutput_OrTheCodeAndExitsNonZero()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var context = new CliContext(output, error, new StringReader(""), TimeProvider.System);

        var ok = await MeshCli.RunAsync(["call", "echo", "--token", _echoToken, "--data", "from the cli", "--nats", nats.Url], context);
        var refused = await MeshCli.RunAsync(["call", "refunds", "--token", _echoToken, "--data", "x", "--nats", nats.Url], context);

        Assert.Equal(0, ok);
        Assert.Equal("from the cli", output.ToString().Trim());
        Assert.Equal(1, refused);
        Assert.StartsWith("mesh: token.wrong_subject: ", error.ToString());
    }

    [Fact]
    public async Task MeshDeployCommand_StoresTheModuleUnderItsDigest()
    {
        var output = new StringWriter();
        var context = new CliContext(output, new StringWriter(), new StringReader(""), TimeProvider.System);
        var path = Path.Combine(AppContext.BaseDirectory, "modules", "fails.wat");

        Assert.Equal(0, await MeshCli.RunAsync(["deploy", path, "--nats", nats.Url], context));
        var digest = output.ToString().Trim();
        Assert.Equal(Sha256Digest.Of(MeshCluster.Wat("fails")).ToString(), digest);

        Assert.True(Sha256Digest.TryParse(digest, out var parsed));
        var reply = await _mesh.CallAsync("fails", _mesh.Grant("fails", parsed));
        Assert.Equal(ErrorCode.FunctionError, reply.Code);
        Assert.Equal("input rejected: too short", reply.Message);
    }

    public static TheoryData<string> TokenAttacks => new()
    {
        "missing", "empty", "not-base64", "padding", "truncated", "bit-flip-early", "bit-flip-middle", "bit-flip-late",
        "untrusted-issuer", "expired", "not-yet-valid", "wrong-subject", "wrong-module", "widened", "too-large",
        "garbage-msgpack", "version-2", "dropped-block", "reordered-blocks", "forged-seal",
    };

    [Theory]
    [MemberData(nameof(TokenAttacks))]
    public async Task TokenAttack_OverNats_GetsItsCode_AndTheNodeKeepsServing(string attack)
    {
        var valid = _mesh.GrantBytes("echo", _echo);
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        byte[] Flip(int at)
        {
            var copy = (byte[])valid.Clone();
            copy[at] ^= 0x10;
            return copy;
        }

        string Text(byte[] bytes) => TokenCodec.ToText(bytes);
        using var stranger = SigningKey.Generate();
        (string? Token, string? Module, ErrorCode Expected) c = attack switch
        {
            "missing" => (null, null, ErrorCode.TokenMissing),
            "empty" => ("", null, ErrorCode.TokenMissing),
            "not-base64" => ("this is not a token!", null, ErrorCode.TokenMalformed),
            "padding" => (Text(valid) + "==", null, ErrorCode.TokenMalformed),
            "truncated" => (Text(valid[..(valid.Length / 2)]), null, ErrorCode.TokenMalformed),
            "bit-flip-early" => (Text(Flip(10)), null, ErrorCode.TokenUntrustedIssuer),
            "bit-flip-middle" => (Text(Flip(valid.Length / 2)), null, ErrorCode.TokenSignature),
            "bit-flip-late" => (Text(Flip(valid.Length - 5)), null, ErrorCode.TokenSignature),
            "untrusted-issuer" => (Text(_mesh.GrantBytes("echo", _echo, issuer: stranger)), null, ErrorCode.TokenUntrustedIssuer),
            "expired" => (Text(Issue(new BlockClaims { IssuedAt = now - 7200, Expires = now - 3600 })), null, ErrorCode.TokenExpired),
            "not-yet-valid" => (Text(Issue(new BlockClaims { IssuedAt = now, NotBefore = now + 3600, Expires = now + 7200 })), null, ErrorCode.TokenNotYetValid),
            "wrong-subject" => (_mesh.Grant("refunds", _echo), null, ErrorCode.TokenWrongSubject),
            "wrong-module" => (Text(valid), Sha256Digest.Of("other"u8).ToString(), ErrorCode.TokenWrongModule),
            "widened" => (Text(Widened(valid)), null, ErrorCode.TokenWidened),
            "too-large" => (new string('A', 40_000), null, ErrorCode.TokenTooLarge),
            "garbage-msgpack" => (Text([0x93, 0x01, 0xc4, 0x01, 0x00]), null, ErrorCode.TokenMalformed),
            "version-2" => (Text([0x95, 0x02, 0xc0, 0xc0, 0xc0, 0xc0]), null, ErrorCode.TokenVersion),
            "dropped-block" => (Text(Reblock(valid, blocks => blocks.RemoveAt(1))), null, ErrorCode.TokenSignature),
            "reordered-blocks" => (Text(Reblock(valid, blocks => [blocks[0], blocks[2], blocks[1]])), null, ErrorCode.TokenSignature),
            "forged-seal" => (Text(TokenCodec.Encode(TokenCodec.Decode(valid).Value! with { NextSecret = null, Seal = new byte[64] })), null, ErrorCode.TokenSignature),
            _ => throw new ArgumentOutOfRangeException(nameof(attack)),
        };

        var reply = await _mesh.CallAsync("echo", c.Token, "attack", c.Module);

        Assert.Equal(c.Expected.ToWire(), reply.Status);
        Assert.False(string.IsNullOrEmpty(reply.Message));
        Assert.Equal("", reply.Output);
        await AssertStillServingAsync();
    }

    private byte[] Issue(BlockClaims times)
    {
        var issued = TokenIssuer.Issue(_mesh.Issuer, times with
        {
            TokenId = TokenIssuer.NewTokenId(),
            MaxDepth = 2,
            Functions = [new FunctionGrant("echo", [_echo], CapabilitySet.None, Limits.None)],
        });
        Assert.True(issued.IsOk, issued.ToString());
        return issued.Value!;
    }

    // A three-block token (two narrowing blocks) with its blocks rearranged by an attacker.
    private static byte[] Reblock(byte[] token, Func<System.Collections.Immutable.ImmutableArray<SignedBlock>, System.Collections.Immutable.ImmutableArray<SignedBlock>> game)
    {
        var one = TokenIssuer.Attenuate(token, new BlockClaims { Audience = "echo" }).Value!;
        var two = TokenIssuer.Attenuate(one, new BlockClaims { MaxDepth = 3 }).Value!;
        var envelope = TokenCodec.Decode(two).Value!;
        return TokenCodec.Encode(envelope with { Blocks = game(envelope.Blocks) });
    }

    private byte[] Widened(byte[] token)
    {
        var envelope = TokenCodec.Decode(token).Value!;
        using var secret = SigningKey.FromRawSeed(envelope.NextSecret!);
        var wider = new FunctionGrant("echo", [_echo], CapabilitySet.None with { Log = true }, Limits.None);
        return TokenIssuer.Append(secret, envelope.RootKey, envelope.Blocks, new BlockClaims { Functions = [wider] }, seal: false);
    }

    public static TheoryData<string, ErrorCode> HostileModules => new()
    {
        { "loop", ErrorCode.FunctionFuelExhausted },
        { "memory-bomb", ErrorCode.FunctionMemoryLimit },
        { "recursion", ErrorCode.FunctionStackOverflow },
        { "huge-output", ErrorCode.FunctionOutputTooLarge },
        { "divide-by-zero", ErrorCode.FunctionTrap },
        { "unreachable", ErrorCode.FunctionTrap },
        { "imports-log", ErrorCode.CapabilityDenied },
        { "imports-unknown", ErrorCode.ModuleInvalid },
        { "no-run", ErrorCode.ModuleInvalid },
        { "host-call-flood", ErrorCode.FunctionHostCallLimit },
    };

    [Theory]
    [MemberData(nameof(HostileModules))]
    public async Task HostileModule_IsStoppedWithItsCode_AndTheNodeKeepsServing(string module, ErrorCode expected)
    {
        var digest = await _mesh.DeployAsync(MeshCluster.Wat(module));
        var reply = await _mesh.CallAsync(module, _mesh.Grant(module, digest, limits: new Limits(Fuel: 50_000_000)));

        Assert.Equal(expected.ToWire(), reply.Status);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task AModuleWhoseBytesDoNotMatchItsDigest_IsRefused()
    {
        var claimed = Sha256Digest.Of("what the grant names"u8);
        await _mesh.PutAsync(claimed, MeshCluster.Wat("loop"));

        var reply = await _mesh.CallAsync("swapped", _mesh.Grant("swapped", claimed));

        Assert.Equal(ErrorCode.ModuleDigestMismatch.ToWire(), reply.Status);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task AModuleThatIsNotWasm_IsRefused()
    {
        var digest = await _mesh.DeployAsync("#!/bin/sh\necho not wasm\n"u8.ToArray());

        var reply = await _mesh.CallAsync("script", _mesh.Grant("script", digest));

        Assert.Equal(ErrorCode.ModuleInvalid.ToWire(), reply.Status);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task AModuleNeverDeployed_IsNotFound()
    {
        var reply = await _mesh.CallAsync("ghost", _mesh.Grant("ghost", Sha256Digest.Of("never deployed"u8)));
        Assert.Equal(ErrorCode.ModuleNotFound.ToWire(), reply.Status);
    }

    [Fact]
    public async Task LogCapability_WhenGranted_Works()
    {
        var digest = await _mesh.DeployAsync(MeshCluster.Wat("imports-log"));
        var reply = await _mesh.CallAsync("logger", _mesh.Grant("logger", digest, CapabilitySet.None with { Log = true }));

        Assert.True(reply.IsOk, reply.ToString());
        Assert.Equal("hello", reply.Output);
    }

    [Fact]
    public async Task TheNode_IsDiscoverableAsANatsMicroService_WithStats()
    {
        await AssertStillServingAsync();

        var ping = await _mesh.Client.RequestAsync<string>("$SRV.PING.mesh-node");
        var info = JsonDocument.Parse((await _mesh.Client.RequestAsync<string>("$SRV.INFO.mesh-node")).Data!).RootElement;
        var stats = JsonDocument.Parse((await _mesh.Client.RequestAsync<string>("$SRV.STATS.mesh-node")).Data!).RootElement;

        Assert.Contains("mesh-node", ping.Data);
        Assert.Equal("mesh.fn.>", info.GetProperty("endpoints")[0].GetProperty("subject").GetString());
        var endpoint = stats.GetProperty("endpoints")[0];
        Assert.True(endpoint.GetProperty("num_requests").GetInt64() > 0);
        Assert.True(endpoint.GetProperty("data").GetProperty("invocations").GetInt64() > 0);
        Assert.True(endpoint.GetProperty("data").GetProperty("ready").GetBoolean());
    }

    [Fact]
    public async Task FireAndForget_IsInvokedWithoutAReply()
    {
        await AssertStillServingAsync();
        var stats = _mesh.Nodes[0].Services.GetService(typeof(Mesh.Node.Messaging.NodeStats)) as Mesh.Node.Messaging.NodeStats;
        var before = stats!.Invocations;

        await _mesh.Client.PublishAsync("mesh.fn.echo", "no one waits"u8.ToArray(), new NatsHeaders { ["Mesh-Token"] = _echoToken });

        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (stats.Invocations == before && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }

        Assert.Equal(before + 1, stats.Invocations);
    }
}
