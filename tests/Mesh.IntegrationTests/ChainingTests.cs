using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using NATS.Client.Core;

namespace Mesh.IntegrationTests;

/// <summary>A function calling another: the token follows, narrowed by the node with the token's own secret.</summary>
[Collection(NatsServerDefinition.Name)]
public sealed class ChainingTests(NatsServerFixture nats) : IAsyncLifetime
{
    private MeshCluster _mesh = null!;
    private Sha256Digest _requester;
    private Sha256Digest _echo;

    public async Task InitializeAsync()
    {
        _mesh = await nats.SharedMeshAsync();
        _requester = await _mesh.DeployAsync(MeshCluster.Wat("requester"));
        _echo = await _mesh.DeployAsync(MeshCluster.Wat("echo"));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private FunctionGrant Front => new("front", [_requester], CapabilitySet.None with { Request = ["mesh.fn.echo"] }, Limits.None);

    private FunctionGrant Echo => new("echo", [_echo], CapabilitySet.None, Limits.None);

    [Fact]
    public async Task AFunctionCallingAnother_CarriesTheTokenOn_AndGetsItsAnswer()
    {
        var reply = await _mesh.CallAsync("front", _mesh.GrantAll([Front, Echo]), "mesh.fn.echo");

        Assert.True(reply.IsOk, reply.ToString());
        Assert.Equal("ping", reply.Output);
    }

    [Fact]
    public async Task TheCalledFunction_MustBeGrantedByTheToken()
    {
        var reply = await _mesh.CallAsync("front", _mesh.GrantAll([Front]), "mesh.fn.echo");
        Assert.Equal("the function returned 6", reply.Message);
    }

    [Fact]
    public async Task ASealedToken_CannotBeHandedOn()
    {
        var reply = await _mesh.CallAsync("front", _mesh.GrantAll([Front, Echo], seal: true), "mesh.fn.echo");
        Assert.Equal("the function returned 1", reply.Message);
    }

    [Fact]
    public async Task AChainDeeperThanTheTokenAllows_IsRefused()
    {
        var reply = await _mesh.CallAsync("front", _mesh.GrantAll([Front, Echo], maxDepth: 0), "mesh.fn.echo");
        Assert.Equal("the function returned 1", reply.Message);
    }

    [Fact]
    public async Task AFunctionCallingItself_IsRefusedAsALoop()
    {
        var selfCalling = Front with { Capabilities = CapabilitySet.None with { Request = ["mesh.fn.front"] } };

        var reply = await _mesh.CallAsync("front", _mesh.GrantAll([selfCalling]), "mesh.fn.front");

        // The host refused the request (status -1), so the probe returned 1 instead of recursing to the depth limit.
        Assert.Equal("the function returned 1", reply.Message);
        Assert.Contains("request:mesh.fn.front", reply.Denied);
    }

    [Fact]
    public async Task ACapturedHopToken_IsRefusedOnAnyOtherSubject()
    {
        // Someone listening on the wire (a plain subscriber, outside the queue group) sees the hop.
        await using var spy = await _mesh.Client.SubscribeCoreAsync<byte[]>("mesh.fn.echo");
        await _mesh.Client.PingAsync();
        Assert.True((await _mesh.CallAsync("front", _mesh.GrantAll([Front, Echo]), "mesh.fn.echo")).IsOk);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var captured = (await spy.Msgs.ReadAsync(timeout.Token)).Headers![MeshHeaders.Token].ToString();

        var verified = TokenCodec.FromText(captured, 8192);
        Assert.True(verified.IsOk);
        Assert.Equal(ErrorCode.TokenWrongSubject.ToWire(), (await _mesh.CallAsync("front", captured, "mesh.fn.echo")).Status);
        Assert.True((await _mesh.CallAsync("echo", captured, "replayed where it was meant to go")).IsOk);
    }
}
