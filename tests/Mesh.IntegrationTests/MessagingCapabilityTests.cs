using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Messaging;
using NATS.Client.Core;

namespace Mesh.IntegrationTests;

/// <summary>Publish and request from inside a function, tried the way an attacker would.</summary>
[Collection(NatsServerDefinition.Name)]
public sealed class MessagingCapabilityTests(NatsServerFixture nats) : IAsyncLifetime
{
    private MeshCluster _mesh = null!;
    private Sha256Digest _publisher;
    private Sha256Digest _requester;

    public async Task InitializeAsync()
    {
        _mesh = await nats.SharedMeshAsync();
        _publisher = await _mesh.DeployAsync(MeshCluster.Wat("publisher"));
        _requester = await _mesh.DeployAsync(MeshCluster.Wat("requester"));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private string PublishGrant(params string[] patterns) =>
        _mesh.Grant("publisher", _publisher, CapabilitySet.None with { Publish = [.. patterns] });

    // The modules return the host's status negated: 0 sent, 1 denied, 3 over a limit, 5 timeout, 6 unavailable, 7 invalid.
    private static string Returned(int status) => $"the function returned {status}";

    [Fact]
    public async Task Publish_ToAGrantedSubject_IsDelivered()
    {
        await using var sub = await _mesh.Client.SubscribeCoreAsync<string>("events.demo.>");
        await _mesh.Client.PingAsync();

        var reply = await _mesh.CallAsync("publisher", PublishGrant("events.demo.>"), "events.demo.created");

        Assert.True(reply.IsOk, reply.ToString());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var message = await sub.Msgs.ReadAsync(timeout.Token);
        Assert.Equal("events.demo.created", message.Subject);
        Assert.Equal("hello", message.Data);
    }

    [Theory]
    [InlineData("events.other.created")]
    [InlineData("events.demo")]
    [InlineData("events.demos.x")]
    public async Task Publish_OutsideTheGrant_IsDenied_AndNothingIsSent(string subject)
    {
        await using var sub = await _mesh.Client.SubscribeCoreAsync<string>(">");
        await _mesh.Client.PingAsync();
        var deniedBefore = Stats().DeniedOf("publish");

        var reply = await _mesh.CallAsync("publisher", PublishGrant("events.demo.>"), subject);

        Assert.Equal(ErrorCode.FunctionError.ToWire(), reply.Status);
        Assert.Equal(Returned(1), reply.Message);
        Assert.Equal(deniedBefore + 1, Stats().DeniedOf("publish"));
        await AssertNothingOnAsync(sub, subject);
    }

    [Theory]
    [InlineData("$SYS.REQ.SERVER.PING")]
    [InlineData("$JS.API.STREAM.DELETE.OBJ_mesh-modules")]
    [InlineData("$KV.orders.tenant-1")]
    [InlineData("$O.mesh-modules.C.x")]
    [InlineData("$SRV.PING")]
    [InlineData("_INBOX.someone-else.1")]
    [InlineData("mesh.revocations")]
    public async Task Publish_ToASystemSubject_IsDenied_EvenUnderAGrantOfEverything(string subject)
    {
        await using var sub = await _mesh.Client.SubscribeCoreAsync<string>(subject);
        await _mesh.Client.PingAsync();

        var reply = await _mesh.CallAsync("publisher", PublishGrant(">"), subject);

        Assert.Equal(Returned(1), reply.Message);
        await AssertNothingOnAsync(sub, subject);
    }

    [Theory]
    [InlineData("events.*")]
    [InlineData("events.>")]
    [InlineData("events..x")]
    [InlineData("events x")]
    public async Task Publish_ToAPatternOrAMalformedSubject_IsInvalid(string subject)
    {
        var reply = await _mesh.CallAsync("publisher", PublishGrant(">"), subject);
        Assert.Equal(Returned(7), reply.Message);
    }

    [Fact]
    public void AGrantNamingASystemSubject_CannotBeIssued()
    {
        var issued = TokenIssuer.Issue(_mesh.Issuer, new BlockClaims
        {
            TokenId = TokenIssuer.NewTokenId(),
            IssuedAt = 0,
            Expires = long.MaxValue / 2,
            MaxDepth = 1,
            Functions = [new FunctionGrant("publisher", [_publisher], CapabilitySet.None with { Publish = ["$JS.API.>"] }, Limits.None)],
        });

        Assert.Equal(ErrorCode.TokenMalformed, issued.Error.Code);
    }

    [Fact]
    public async Task APublishFlood_StopsAtTheMessageLimit()
    {
        var flood = await _mesh.DeployAsync(MeshCluster.Wat("publish-flood"));
        var reply = await _mesh.CallAsync("flood", _mesh.Grant("flood", flood, CapabilitySet.None with { Publish = ["flood.>"] }), "flood.x");
        Assert.Equal(Returned(3), reply.Message);
    }

    [Fact]
    public async Task ImportingPublish_WithoutAnyPublishRule_CannotLink()
    {
        var reply = await _mesh.CallAsync("publisher", _mesh.Grant("publisher", _publisher), "events.demo.x");
        Assert.Equal(ErrorCode.CapabilityDenied.ToWire(), reply.Status);
        Assert.Contains("publish", reply.Message);
    }

    [Fact]
    public async Task Request_ToAGrantedSubject_ReturnsTheReply()
    {
        await using var responder = await _mesh.Client.SubscribeCoreAsync<string>("svc.echo");
        var answering = Task.Run(async () =>
        {
            var message = await responder.Msgs.ReadAsync();
            await message.ReplyAsync($"pong to {message.Data}");
        });
        await _mesh.Client.PingAsync();

        var reply = await _mesh.CallAsync("requester", _mesh.Grant("requester", _requester, CapabilitySet.None with { Request = ["svc.*"] }), "svc.echo");

        Assert.True(reply.IsOk, reply.ToString());
        Assert.Equal("pong to ping", reply.Output);
        await answering;
    }

    [Fact]
    public async Task Request_OutsideTheGrant_OrToAnInbox_IsDenied()
    {
        var token = _mesh.Grant("requester", _requester, CapabilitySet.None with { Request = ["svc.*"] });

        Assert.Equal(Returned(1), (await _mesh.CallAsync("requester", token, "billing.charge")).Message);
        Assert.Equal(Returned(1), (await _mesh.CallAsync("requester", _mesh.Grant("requester", _requester, CapabilitySet.None with { Request = [">"] }), "_INBOX.x.y")).Message);
    }

    [Fact]
    public async Task Request_WithNobodyListening_IsUnavailable_NotAHang()
    {
        var token = _mesh.Grant("requester", _requester, CapabilitySet.None with { Request = ["svc.*"] });
        Assert.Equal(Returned(6), (await _mesh.CallAsync("requester", token, "svc.nobody")).Message);
    }

    private NodeStats Stats() => (NodeStats)_mesh.Nodes[0].Services.GetService(typeof(NodeStats))!;

    private static async Task AssertNothingOnAsync(INatsSub<string> sub, string subject)
    {
        using var quiet = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        try
        {
            while (true)
            {
                var message = await sub.Msgs.ReadAsync(quiet.Token);
                Assert.NotEqual(subject, message.Subject);
            }
        }
        catch (OperationCanceledException)
        {
            // Nothing arrived on the subject: as it should be.
        }
    }
}
