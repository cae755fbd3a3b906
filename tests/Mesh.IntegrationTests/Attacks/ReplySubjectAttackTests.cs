using System.Text;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Messaging;
using Mesh.Node.Revocation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.IntegrationTests.Attacks;

/// <summary>
/// Issue 11 §2: NATS lets a requester name any reply subject and checks only its right to publish
/// the request. Bob, a caller allowed to publish <c>mesh.fn.&gt;</c>, names reply subjects to make a
/// node write with the node's own rights: into another tenant's key-value entry, onto an
/// application subject, into the JetStream API to purge the revocation bucket, through calls, a
/// declared chain and the node's discovery answers. Against the least-privilege server of
/// <c>deploy/nats-permissions/nats.conf</c>, each attempt is refused by the node (nothing runs,
/// nothing is sent) and, where the node holds no right to the subject, by NATS as well.
/// </summary>
public sealed class ReplySubjectAttackTests(PermissionedMesh fixture) : IClassFixture<PermissionedMesh>, IAsyncLifetime
{
    private Sha256Digest _echo;
    private string _token = "";

    public async Task InitializeAsync()
    {
        _echo = await fixture.Mesh.DeployAsync(MeshCluster.Wat("echo"));
        _token = fixture.Mesh.Grant("echo", _echo);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private NodeStats Stats => fixture.NodeStats;

    // Literal subjects an answer could be written to, each watched by the operator during the attack.
    public static TheoryData<string> StolenReplySubjects =>
    [
        "$KV.tenants.tenant-2.pwned",
        "events.payments.refund",
        "$JS.API.STREAM.PURGE.KV_mesh-revocations",
        "$JS.API.STREAM.DELETE.MESH_JOBS",
        "mesh.fn.other",
        "_INBOXES.x",
    ];

    [Theory]
    [MemberData(nameof(StolenReplySubjects))]
    public async Task ACallNamingAReplySubjectOutsideTheInboxPrefix_IsNotRun_AndNothingIsSent(string replyTo)
    {
        await using var watcher = await WatchAsync(replyTo);
        var (invocations, refused) = (Stats.Invocations, Stats.ReplyRefusedCount);

        // With echo's token (its output would be the "request" written there), and with none at all.
        await fixture.Bob.PublishAsync("mesh.fn.echo", Encoding.UTF8.GetBytes("{\"purge\":true}"), new NatsHeaders { [MeshHeaders.Token] = _token }, replyTo);
        await fixture.Bob.PublishAsync("mesh.fn.echo", "x"u8.ToArray(), replyTo: replyTo);

        await Eventually.HoldsAsync(() => Stats.ReplyRefusedCount == refused + 2, "the node counts both refusals");
        Assert.Equal(invocations, Stats.Invocations);
        await AssertServingAndUntouchedAsync(watcher);
    }

    [Theory]
    [InlineData("_INBOX.>")]
    [InlineData("_INBOX.*.x")]
    [InlineData("_INBOX.")]
    [InlineData("_INBOX")]
    public async Task AReplySubjectThatIsAWildcardOrNoInbox_IsNotRun(string replyTo)
    {
        var (invocations, refused) = (Stats.Invocations, Stats.ReplyRefusedCount);

        await fixture.Bob.PublishAsync("mesh.fn.echo", "x"u8.ToArray(), new NatsHeaders { [MeshHeaders.Token] = _token }, replyTo);

        await Eventually.HoldsAsync(() => Stats.ReplyRefusedCount == refused + 1, "the node refuses the reply subject");
        Assert.Equal(invocations, Stats.Invocations);
        await AssertServingAndUntouchedAsync(null);
    }

    [Theory]
    [InlineData("$SRV.PING")]
    [InlineData("$SRV.INFO.mesh-node")]
    [InlineData("$SRV.STATS.mesh-node")]
    public async Task DiscoveryNamingAReplySubjectOutsideTheInboxPrefix_IsNotAnswered(string discovery)
    {
        var id = fixture.Node.Services.GetServices<IHostedService>().OfType<ServiceDiscovery>().Single().Id;
        foreach (var subject in new[] { discovery, $"{discovery.Replace(".mesh-node", "", StringComparison.Ordinal)}.mesh-node.{id}" })
        {
            foreach (var replyTo in new[] { "$KV.tenants.tenant-2.pwned", "$JS.API.STREAM.PURGE.KV_mesh-revocations", "events.payments.refund" })
            {
                await using var watcher = await WatchAsync(replyTo);
                var refused = Stats.ReplyRefusedCount;
                await fixture.Bob.PublishAsync(subject, Array.Empty<byte>(), replyTo: replyTo);
                await Eventually.HoldsAsync(() => Stats.ReplyRefusedCount > refused, $"the node refuses to answer {subject} on {replyTo}");
                await AssertServingAndUntouchedAsync(watcher);
            }
        }

        // Asked properly, discovery answers.
        var answer = await fixture.Alice.RequestAsync<byte[], string>(discovery, []);
        Assert.Contains("mesh-node", answer.Data);
    }

    [Fact]
    public async Task TheRevocationBucket_SurvivesAPurgeSteeredThroughANode_AndANewNodeStillRefusesTheToken()
    {
        var revoked = fixture.Mesh.Grant("echo", _echo);
        Assert.True((await CallAsync(fixture.Alice, revoked)).IsOk);
        Assert.Equal(0, (await Cli.RunAsync("token", "revoke", revoked, "--nats", fixture.OperatorUrl)).Exit);
        await Eventually.HoldsAsync(async () => (await CallAsync(fixture.Alice, revoked)).Code == ErrorCode.TokenRevoked, "the node refuses the revoked token");

        await fixture.Bob.PublishAsync("mesh.fn.echo", "{}"u8.ToArray(), new NatsHeaders { [MeshHeaders.Token] = _token }, "$JS.API.STREAM.PURGE.KV_mesh-revocations");
        await fixture.Bob.PublishAsync("$SRV.PING", Array.Empty<byte>(), replyTo: "$JS.API.STREAM.PURGE.KV_mesh-revocations");
        await AssertServingAndUntouchedAsync(null);

        // A node started now reads the bucket whole: the revocation is still there.
        await fixture.ReplaceNodeAsync();
        Assert.Equal(ErrorCode.TokenRevoked, (await CallAsync(fixture.Alice, revoked)).Code);
    }

    [Fact]
    public async Task EvenWithTheNodesOwnCredentials_NatsRefusesPurgingRevocationsOrReconfiguringStreams()
    {
        await using var asNode = fixture.Connect("mesh-node", "_INBOX.nodes");
        await asNode.ConnectAsync();
        var bucket = await new NatsKVContext(new NatsJSContext(fixture.Mesh.Client)).GetStoreAsync(RevocationKeys.DefaultBucket);
        await bucket.PutAsync("token.ffffffffffffffffffffffffffffffff", "kept");

        foreach (var api in new[] { "$JS.API.STREAM.PURGE.KV_mesh-revocations", "$JS.API.STREAM.DELETE.KV_mesh-revocations", "$JS.API.STREAM.UPDATE.MESH_JOBS", "$JS.API.STREAM.CREATE.ANY" })
        {
            // Refused by the server: no JetStream answer ever comes.
            await Assert.ThrowsAnyAsync<NatsException>(async () =>
                await asNode.RequestAsync<byte[], byte[]>(api, "{}"u8.ToArray(), replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(1) }));
        }

        Assert.Equal("kept", (await bucket.GetEntryAsync<string>("token.ffffffffffffffffffffffffffffffff")).Value);
    }

    [Fact]
    public async Task ACallerCannotReadAnothersReplies_NorWatchTheCallsTheyMake()
    {
        await using var spy = fixture.Connect("bob", "_INBOX.bob");
        await spy.ConnectAsync();
        var subscriptions = new List<INatsSub<byte[]>>();
        foreach (var subject in new[] { "_INBOX.alice.>", "_INBOX.>", "mesh.fn.>", "_INBOX.nodes.>" })
        {
            subscriptions.Add(await spy.SubscribeCoreAsync<byte[]>(subject));
        }

        await spy.PingAsync();

        var reply = await CallAsync(fixture.Alice, _token, "for alice only");

        Assert.True(reply.IsOk, reply.ToString());
        Assert.Equal("for alice only", reply.Output);
        await spy.PingAsync();
        Assert.All(subscriptions, s => Assert.False(s.Msgs.TryRead(out var seen), $"bob saw {seen.Subject} through {s.Subject}"));
    }

    [Fact]
    public async Task ACallerWithItsOwnInboxPrefix_IsServed_ThroughTheCliToo_AndWithoutItGetsNoAnswer()
    {
        var asAlice = await Cli.RunAsync("call", "echo", "--token", _token, "--data", "via the cli", "--nats", fixture.UrlFor("alice"), "--inbox-prefix", "_INBOX.alice", "--timeout", "5s");

        Assert.True(asAlice.Exit == 0, asAlice.Error);
        Assert.Equal("via the cli\n", asAlice.Out);

        // Without it the client listens under _INBOX, where alice may not: the answer never arrives.
        var unprefixed = await Cli.RunAsync("call", "echo", "--token", _token, "--data", "x", "--nats", fixture.UrlFor("alice"), "--timeout", "1s", "--retries", "0");
        Assert.NotEqual(0, unprefixed.Exit);
        Assert.StartsWith("mesh: request.timeout", unprefixed.Error);
        Assert.DoesNotContain(fixture.UrlFor("alice").Split(':', '@')[2], unprefixed.Error);
    }

    [Fact]
    public async Task AFanOutWorksUnderTheseRights_AndOneNamingAStolenReplyIsNotRun()
    {
        var suffix = await fixture.Mesh.DeployAsync(MeshCluster.Wat("suffix"));
        var token = fixture.Mesh.GrantAll(
        [
            new FunctionGrant("split", [suffix], CapabilitySet.None, Limits.None) { Then = ["left", "right"] },
            new FunctionGrant("left", [suffix], CapabilitySet.None, Limits.None),
            new FunctionGrant("right", [suffix], CapabilitySet.None, Limits.None),
        ]);

        var fanOut = await CallAsync(fixture.Alice, token, "x", "split");
        Assert.True(fanOut.IsOk, fanOut.ToString());
        Assert.Equal("left,right", fanOut.FanOut);

        await using var watcher = await WatchAsync("$KV.tenants.tenant-2.pwned");
        var (invocations, refused) = (Stats.Invocations, Stats.ReplyRefusedCount);
        await fixture.Bob.PublishAsync("mesh.fn.split", "x"u8.ToArray(), new NatsHeaders { [MeshHeaders.Token] = token }, "$KV.tenants.tenant-2.pwned");
        await Eventually.HoldsAsync(() => Stats.ReplyRefusedCount > refused, "the node refuses the chain's reply subject");
        Assert.Equal(invocations, Stats.Invocations);
        await AssertServingAndUntouchedAsync(watcher);
    }

    [Fact]
    public async Task FunctionLogs_AreWrittenUnderTheNodesRights_ReadByTheOperatorOnly_AndNoCallerCanForgeOne()
    {
        await using var operatorView = await WatchAsync("mesh.log.echo");
        await using var spy = fixture.Connect("bob", "_INBOX.bob");
        await spy.ConnectAsync();
        var spying = await spy.SubscribeCoreAsync<byte[]>("mesh.log.>");
        await spy.PublishAsync("mesh.log.echo", "{\"kind\":\"outcome\",\"function\":\"echo\",\"status\":\"forged\"}\n"u8.ToArray());
        await spy.PingAsync();

        var reply = await CallAsync(fixture.Alice, _token, "logged by the node");
        Assert.True(reply.IsOk, reply.ToString());

        var entries = new List<string>();
        await Eventually.HoldsAsync(() =>
        {
            while (operatorView.Subscription.Msgs.TryRead(out var msg))
            {
                entries.Add(Encoding.UTF8.GetString(msg.Data ?? []));
            }

            return entries.Any(e => e.Contains("\"status\":\"ok\"", StringComparison.Ordinal));
        }, "the operator sees the node's outcome entry");
        Assert.DoesNotContain(entries, e => e.Contains("forged", StringComparison.Ordinal));
        await spy.PingAsync();
        Assert.False(spying.Msgs.TryRead(out var seen), $"bob read a function log entry on {seen.Subject}");
    }

    private static async Task<Reply> CallAsync(NatsConnection caller, string token, string input = "x", string function = "echo")
    {
        var reply = await caller.RequestAsync<byte[], byte[]>(Subjects.ForFunction(function), Encoding.UTF8.GetBytes(input), new NatsHeaders { [MeshHeaders.Token] = token }, replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(10) });
        return Reply.From(reply);
    }

    // The operator, who may read everything, watches the subject an attack aims at.
    private async Task<Watcher> WatchAsync(string subject)
    {
        var subscription = await fixture.Mesh.Client.SubscribeCoreAsync<byte[]>(subject);
        await fixture.Mesh.Client.PingAsync();
        return new Watcher(subscription, subject);
    }

    private async Task AssertServingAndUntouchedAsync(Watcher? watcher)
    {
        // A call made after the attack is answered, so everything the node did about the attack is done.
        var reply = await CallAsync(fixture.Alice, _token, "still serving");
        Assert.True(reply.IsOk, reply.ToString());
        await fixture.Mesh.Client.PingAsync();
        if (watcher is not null)
        {
            Assert.False(watcher.Subscription.Msgs.TryRead(out var stolen), $"something was published to {watcher.Subject}: {stolen.Subject}");
        }

        var tenants = await new NatsKVContext(new NatsJSContext(fixture.Mesh.Client)).GetStoreAsync("tenants");
        await Assert.ThrowsAsync<NatsKVKeyNotFoundException>(async () => await tenants.GetEntryAsync<byte[]>("tenant-2.pwned"));
    }

    private sealed record Watcher(INatsSub<byte[]> Subscription, string Subject) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Subscription.DisposeAsync();
    }
}
