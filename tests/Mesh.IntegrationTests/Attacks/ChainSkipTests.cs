using System.Text;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using NATS.Client.Core;

namespace Mesh.IntegrationTests.Attacks;

/// <summary>
/// Issue 26 §7: in a declared chain a -> b -> c, the hop token a's node hands to b, narrowed by
/// whoever holds it to target c, is accepted at c: its holder can skip b. No node holds a key, so
/// nothing tells b's node apart from any other holder of that message, and c cannot require that
/// b ran (docs/chaining.md, "A hop token is the step's whole authority"). These tests pin the
/// property down as documented, its bounds, and the operator's remedy under nats.conf: only nodes
/// may read <c>mesh.fn.&gt;</c>, so no caller ever holds a hop token.
/// </summary>
public sealed class ChainSkipTests(PermissionedMesh fixture) : IClassFixture<PermissionedMesh>, IAsyncLifetime
{
    private string _token = "";

    public async Task InitializeAsync()
    {
        var template = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "modules", "suffix.wat"));
        async Task<FunctionGrant> StepAsync(string name, char marker, params string[] then) =>
            new(name, [await fixture.Mesh.DeployAsync(Wasmtime.Module.ConvertText(template.Replace("\"+\"", $"\"{marker}\"", StringComparison.Ordinal)))], CapabilitySet.None, Limits.None) { Then = [.. then] };

        _token = fixture.Mesh.GrantAll([await StepAsync("a", 'A', "b"), await StepAsync("b", 'B', "c"), await StepAsync("c", 'C'), await StepAsync("d", 'D')]);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static async Task<Reply> CallAsync(NatsConnection caller, string function, string token, string input) =>
        Reply.From(await caller.RequestAsync<byte[], byte[]>($"mesh.fn.{function}", Encoding.UTF8.GetBytes(input), new NatsHeaders { [MeshHeaders.Token] = token }));

    [Fact]
    public async Task ACallerCannotReadAHop_SoHoldsNoHopTokenToSkipAStepWith()
    {
        // Alice may publish calls but read only her inbox: the server refuses her subscription.
        await using var watching = await fixture.Alice.SubscribeCoreAsync<byte[]>("mesh.fn.b");
        await using var everything = await fixture.Alice.SubscribeCoreAsync<byte[]>("mesh.fn.>");
        await fixture.Alice.PingAsync();

        var chain = await CallAsync(fixture.Alice, "a", _token, "x");
        Assert.Equal("xABC", chain.Output);
        await fixture.Alice.PingAsync();
        Assert.False(watching.Msgs.TryRead(out _), "a caller read the hop to b");
        Assert.False(everything.Msgs.TryRead(out _), "a caller read a hop");
    }

    [Fact]
    public async Task WhoeverReadsTheHop_CanSkipTheStep_ButGoNowhereTheStepCouldNot()
    {
        // What nats.conf gives only nodes: reading mesh.fn.b, here outside the nodes' queue group,
        // as a second process holding a node's credentials could.
        await using var asNode = fixture.Connect("mesh-node", "_INBOX.nodes.observer");
        await asNode.ConnectAsync();
        await using var hops = await asNode.SubscribeCoreAsync<byte[]>("mesh.fn.b");
        await asNode.PingAsync();
        Assert.Equal("xABC", (await CallAsync(fixture.Alice, "a", _token, "x")).Output);
        var hop = (await hops.Msgs.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20))).Headers![MeshHeaders.Token].ToString();

        // The property: narrowed to c, the hop token is accepted at c, and b never ran.
        var skipping = Narrow(hop, "c");
        Assert.Equal("forgedC", (await CallAsync(fixture.Alice, "c", skipping, "forged")).Output);

        // Its bounds: only where b itself hands on, never back, never elsewhere, never unchanged.
        Assert.Equal(ErrorCode.TokenWrongSubject, (await CallAsync(fixture.Alice, "c", hop, "x")).Code);
        Assert.Equal(ErrorCode.TokenWidened, (await CallAsync(fixture.Alice, "d", Narrow(hop, "d"), "x")).Code);
        Assert.Equal(ErrorCode.TokenWidened, (await CallAsync(fixture.Alice, "a", Narrow(hop, "a"), "x")).Code);
    }

    // What the holder of an open token may do: append one block, here moving the audience.
    private static string Narrow(string token, string audience)
    {
        var bytes = TokenCodec.FromText(token, 64 * 1024);
        Assert.True(bytes.IsOk, bytes.ToString());
        var envelope = TokenCodec.Decode(bytes.Value!).Value!;
        using var secret = Mesh.Contracts.Keys.SigningKey.FromRawSeed(envelope.NextSecret!);
        return TokenCodec.ToText(TokenIssuer.Append(secret, envelope.RootKey, envelope.Blocks, new BlockClaims { Audience = audience }, seal: false));
    }
}
