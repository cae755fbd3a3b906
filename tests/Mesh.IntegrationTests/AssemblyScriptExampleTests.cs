using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Rules;
using Mesh.Contracts.Wire;
using NATS.Client.Core;

namespace Mesh.IntegrationTests;

/// <summary>The AssemblyScript examples, compiled from source by scripts/build-examples.sh, run by a real node.</summary>
[Collection(NatsServerDefinition.Name)]
public sealed class AssemblyScriptExampleTests(NatsServerFixture nats)
{
    private static async Task<byte[]> ExampleAsync(string name)
    {
        var path = Path.Combine(MeshCluster.RepositoryRoot(), "examples", name, "build", name + ".wasm");
        Assert.True(File.Exists(path), $"{path} is missing: scripts/build-examples.sh builds it (scripts/test.sh runs it first)");
        return await File.ReadAllBytesAsync(path);
    }

    [Fact]
    public async Task Payments_ReachesOnlyTheProviderItsTokenNames()
    {
        using var provider = new LoopbackHttpServer();
        var mesh = await nats.SharedMeshAsync();
        var digest = await mesh.DeployAsync(await ExampleAsync("payments-as"));
        Assert.True(RuleText.TryParseHttp($"POST http://127.0.0.1:{provider.Port}/v1/charges", out var rule, out _));
        var token = mesh.Grant("payments", digest, CapabilitySet.None with { Http = [rule!] });

        var charged = await mesh.CallAsync("payments", token, $"http://127.0.0.1:{provider.Port} 1999");
        var elsewhere = await mesh.CallAsync("payments", token, "http://evil.example 1999");

        Assert.True(charged.IsOk, charged.ToString());
        Assert.Equal("charged 1999: POST /v1/charges from loopback", charged.Output);
        Assert.Equal(ErrorCode.FunctionError.ToWire(), elsewhere.Status);
        Assert.Equal("the token does not allow this provider", elsewhere.Message);
    }

    [Fact]
    public async Task Notify_PublishesWhereItsTokenAllows()
    {
        var mesh = await nats.SharedMeshAsync();
        var digest = await mesh.DeployAsync(await ExampleAsync("notify-as"));
        await using var orders = await mesh.Client.SubscribeCoreAsync<string>("orders.created");
        await mesh.Client.PingAsync();

        var reply = await mesh.CallAsync("notify", mesh.Grant("notify", digest, CapabilitySet.None with { Publish = ["orders.created"] }), "order-42");

        Assert.True(reply.IsOk, reply.ToString());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal("order-42", (await orders.Msgs.ReadAsync(timeout.Token)).Data);
    }

    [Fact]
    public async Task Quote_AsksTheServiceItsTokenAllows()
    {
        var mesh = await nats.SharedMeshAsync();
        var digest = await mesh.DeployAsync(await ExampleAsync("quote-as"));
        await using var pricing = await mesh.Client.SubscribeCoreAsync<string>("prices.quote");
        var answering = Task.Run(async () =>
        {
            var message = await pricing.Msgs.ReadAsync();
            await message.ReplyAsync(message.Data == "tea" ? "3 EUR" : "unknown");
        });
        await mesh.Client.PingAsync();

        var reply = await mesh.CallAsync("quote", mesh.Grant("quote", digest, CapabilitySet.None with { Request = ["prices.quote"] }), "tea");

        Assert.True(reply.IsOk, reply.ToString());
        Assert.Equal("tea costs 3 EUR", reply.Output);
        await answering;
    }
}
