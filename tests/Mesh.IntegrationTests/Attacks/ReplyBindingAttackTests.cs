using System.Text;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Messaging;
using NATS.Client.Core;

namespace Mesh.IntegrationTests.Attacks;

/// <summary>
/// Issue 26 §4: nodes answer any reply subject under <c>_INBOX.</c>, so Bob, a caller who learned
/// Alice's inbox, could have a node deliver a forged answer there. A token may now bind its reply
/// prefix; every node holds a call, a hop and a fan-out to it, and a token without one behaves as
/// before. Under <c>deploy/nats-permissions/nats.conf</c>, where each caller reads only its own inbox.
/// </summary>
public sealed class ReplyBindingAttackTests(PermissionedMesh fixture) : IClassFixture<PermissionedMesh>, IAsyncLifetime
{
    // Where Alice waits for an answer: a subject under her inbox, as a request of hers would be.
    private const string AlicesInbox = "_INBOX.alice.pending.1";

    private Sha256Digest _echo;
    private Sha256Digest _a;
    private Sha256Digest _b;

    private NodeStats Stats => fixture.NodeStats;

    public async Task InitializeAsync()
    {
        _echo = await fixture.Mesh.DeployAsync(MeshCluster.Wat("echo"));
        var template = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "modules", "suffix.wat"));
        _a = await fixture.Mesh.DeployAsync(Wasmtime.Module.ConvertText(template.Replace("\"+\"", "\"A\"", StringComparison.Ordinal)));
        _b = await fixture.Mesh.DeployAsync(Wasmtime.Module.ConvertText(template.Replace("\"+\"", "\"B\"", StringComparison.Ordinal)));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task ABoundTokensAnswer_IsNotDeliveredToAnotherCallersInbox_AnUnboundOneStillIs()
    {
        await using var alice = await fixture.Alice.SubscribeCoreAsync<byte[]>(AlicesInbox);
        await fixture.Alice.PingAsync();
        var bound = Bound("_INBOX.bob", new FunctionGrant("echo", [_echo], CapabilitySet.None, Limits.None));
        var (wrongReply, refused) = (Stats.ErrorsOf(ErrorCode.TokenWrongReply), Stats.ReplyRefusedCount);

        // Bob's forged answer, steered at Alice with his bound token: refused before its module is
        // even loaded (token.wrong_reply), and nothing is sent.
        await fixture.Bob.PublishAsync("mesh.fn.echo", "forged by bob"u8.ToArray(), new NatsHeaders { [MeshHeaders.Token] = bound }, AlicesInbox);
        await Eventually.HoldsAsync(() => Stats.ReplyRefusedCount == refused + 1, "the node refuses the reply subject the token does not allow");
        Assert.Equal(wrongReply + 1, Stats.ErrorsOf(ErrorCode.TokenWrongReply));

        // The same with a token that binds nothing: answered, as before this binding existed. It is
        // the first message Alice's inbox gets, so the bound one was never sent ahead of it.
        var unbound = fixture.Mesh.Grant("echo", _echo);
        await fixture.Bob.PublishAsync("mesh.fn.echo", "unbound"u8.ToArray(), new NatsHeaders { [MeshHeaders.Token] = unbound }, AlicesInbox);
        var first = await alice.Msgs.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("unbound", Encoding.UTF8.GetString(first.Data!));

        // Bob's own inbox is answered.
        var own = Reply.From(await fixture.Bob.RequestAsync<byte[], byte[]>("mesh.fn.echo", "mine"u8.ToArray(), new NatsHeaders { [MeshHeaders.Token] = bound }));
        Assert.Equal("mine", own.Output);
    }

    // Refusals that come before a function runs: each would have been an error answered on Alice's
    // inbox, a forged answer all the same.
    [Theory]
    [InlineData(MeshHeaders.Path, "echo")]
    [InlineData(MeshHeaders.Path, "a,b,")]
    [InlineData(MeshHeaders.Budget, "0")]
    [InlineData(MeshHeaders.Budget, "soon")]
    [InlineData(MeshHeaders.Invocations, "0")]
    [InlineData(MeshHeaders.Module, "sha256:nope")]
    [InlineData(MeshHeaders.HttpRequest, "!!")]
    public async Task ABoundTokensEarlyRefusals_AreNotAnsweredElsewhereEither(string header, string value)
    {
        await using var alice = await fixture.Alice.SubscribeCoreAsync<byte[]>(AlicesInbox);
        await fixture.Alice.PingAsync();
        var bound = Bound("_INBOX.bob", new FunctionGrant("echo", [_echo], CapabilitySet.None, Limits.None));
        var refused = Stats.ReplyRefusedCount;

        // Once with a token this node has not verified yet, once with one it has.
        await fixture.Bob.PublishAsync("mesh.fn.echo", "x"u8.ToArray(), new NatsHeaders { [MeshHeaders.Token] = bound, [header] = value }, AlicesInbox);
        Assert.Equal("x", Reply.From(await fixture.Bob.RequestAsync<byte[], byte[]>("mesh.fn.echo", "x"u8.ToArray(), new NatsHeaders { [MeshHeaders.Token] = bound })).Output);
        await fixture.Bob.PublishAsync("mesh.fn.echo", "x"u8.ToArray(), new NatsHeaders { [MeshHeaders.Token] = bound, [header] = value }, AlicesInbox);
        await Eventually.HoldsAsync(() => Stats.ReplyRefusedCount == refused + 2, "both refusals are counted, and neither answered");

        // Asked on Bob's own inbox, the same refusal is answered: only the place was wrong.
        var own = Reply.From(await fixture.Bob.RequestAsync<byte[], byte[]>("mesh.fn.echo", "x"u8.ToArray(), new NatsHeaders { [MeshHeaders.Token] = bound, [header] = value }));
        Assert.False(own.IsOk, own.ToString());
        Assert.False(alice.Msgs.TryRead(out _), "Alice's inbox got an answer it never asked for");
    }

    [Fact]
    public async Task AHopOfABoundToken_IsHeldToTheSameBinding()
    {
        await using var alice = await fixture.Alice.SubscribeCoreAsync<byte[]>(AlicesInbox);
        await fixture.Alice.PingAsync();
        var bound = Bound("_INBOX.bob", Step("a", _a, "b"), Step("b", _b));

        // The declared chain answers Bob at its last step.
        var chain = Reply.From(await fixture.Bob.RequestAsync<byte[], byte[]>("mesh.fn.a", "x"u8.ToArray(), new NatsHeaders { [MeshHeaders.Token] = bound }));
        Assert.Equal("xAB", chain.Output);

        // Bob moves his token on to b himself (as a node's hop would) and names Alice's inbox: the
        // hop token inherits the binding, so b's node answers nowhere.
        var hop = TokenCodec.ToText(Ok(TokenIssuer.Attenuate(TokenCodec.FromText(bound, 64 * 1024).Value!, new BlockClaims { Audience = "b" })));
        var refused = Stats.ReplyRefusedCount;
        await fixture.Bob.PublishAsync("mesh.fn.b", "hop"u8.ToArray(), new NatsHeaders { [MeshHeaders.Token] = hop }, AlicesInbox);
        await fixture.Bob.PublishAsync("mesh.fn.a", "chain"u8.ToArray(), new NatsHeaders { [MeshHeaders.Token] = bound }, AlicesInbox);
        await Eventually.HoldsAsync(() => Stats.ReplyRefusedCount == refused + 2, "both the hop and the chain are refused");

        // Nor can the hop lengthen its way out, or swap the binding for Alice's.
        var widened = AppendUnchecked(bound, new BlockClaims { ReplyPrefix = "_INBOX.alice" });
        var verdict = Reply.From(await fixture.Bob.RequestAsync<byte[], byte[]>("mesh.fn.a", "x"u8.ToArray(), new NatsHeaders { [MeshHeaders.Token] = widened }));
        Assert.Equal(ErrorCode.TokenWidened, verdict.Code);
        Assert.False(alice.Msgs.TryRead(out _), "Alice's inbox got an answer it never asked for");
    }

    [Fact]
    public async Task AFanOutOfABoundToken_GathersItsBranchesThroughTheNodesInbox_AndAnswersOnlyItsCaller()
    {
        await using var alice = await fixture.Alice.SubscribeCoreAsync<byte[]>(AlicesInbox);
        await fixture.Alice.PingAsync();
        var bound = Bound("_INBOX.bob", Step("split", _echo, "a", "b"), Step("a", _a), Step("b", _b));

        // Branches answer the fanning node under _INBOX.nodes, which the binding lets through.
        var fanned = Reply.From(await fixture.Bob.RequestAsync<byte[], byte[]>("mesh.fn.split", "x"u8.ToArray(), new NatsHeaders { [MeshHeaders.Token] = bound }));
        Assert.True(fanned.IsOk, fanned.ToString());
        Assert.Equal("a,b", fanned.FanOut);

        var refused = Stats.ReplyRefusedCount;
        await fixture.Bob.PublishAsync("mesh.fn.split", "x"u8.ToArray(), new NatsHeaders { [MeshHeaders.Token] = bound }, AlicesInbox);
        await Eventually.HoldsAsync(() => Stats.ReplyRefusedCount == refused + 1, "the fan-out steered at Alice is refused");
        Assert.False(alice.Msgs.TryRead(out _), "Alice's inbox got an answer it never asked for");
    }

    [Fact]
    public async Task MeshCall_WithATokenBoundElsewhere_SaysSoAtOnce_InOneLine()
    {
        var bound = Bound("_INBOX.bob", new FunctionGrant("echo", [_echo], CapabilitySet.None, Limits.None));

        var wrong = await Cli.RunAsync("call", "echo", "--token", bound, "--data", "x", "--nats", fixture.UrlFor("alice"), "--inbox-prefix", "_INBOX.alice");
        Assert.NotEqual(0, wrong.Exit);
        Assert.StartsWith("mesh: token.wrong_reply: ", wrong.Error);
        Assert.Single(wrong.Error.Trim().Split('\n'));

        var right = await Cli.RunAsync("call", "echo", "--token", bound, "--data", "x", "--nats", fixture.UrlFor("bob"), "--inbox-prefix", "_INBOX.bob");
        Assert.True(right.Exit == 0, right.Error);
        Assert.Equal("x", right.Out.Trim());
    }

    private string Bound(string replyPrefix, params FunctionGrant[] functions)
    {
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        return TokenCodec.ToText(Ok(TokenIssuer.Issue(fixture.Mesh.Issuer, new BlockClaims
        {
            TokenId = TokenIssuer.NewTokenId(),
            IssuedAt = now,
            Expires = now + 3600,
            MaxDepth = 4,
            ReplyPrefix = replyPrefix,
            Functions = [.. functions],
        })));
    }

    // Appends a block with no narrowing check, as a holder who wants to widen would.
    private static string AppendUnchecked(string token, BlockClaims claims)
    {
        var envelope = Ok(TokenCodec.Decode(Ok(TokenCodec.FromText(token, 64 * 1024))));
        using var secret = Mesh.Contracts.Keys.SigningKey.FromRawSeed(envelope.NextSecret!);
        return TokenCodec.ToText(TokenIssuer.Append(secret, envelope.RootKey, envelope.Blocks, claims, seal: false));
    }

    private static FunctionGrant Step(string name, Sha256Digest module, params string[] then) =>
        new(name, [module], CapabilitySet.None, Limits.None) { Then = [.. then] };

    private static T Ok<T>(Result<T> result)
    {
        Assert.True(result.IsOk, result.ToString());
        return result.Value!;
    }
}
