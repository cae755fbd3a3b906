using Mesh.Contracts.Keys;
using Mesh.Contracts.Secrets;
using Mesh.Contracts.Wire;
using NATS.Client.Core;

namespace Mesh.IntegrationTests.Attacks;

/// <summary>
/// Secrets under deploy/nats-permissions/nats.conf: the service and a node, each with its own
/// least-privilege user, release and inject the secret; a caller, even one holding a token that
/// binds it, can neither ask the service for it nor stand in for the service.
/// </summary>
public sealed class SecretAttackTests(PermissionedMesh fixture) : IClassFixture<PermissionedMesh>
{
    [Fact]
    public async Task OnlyNodesReachTheService_ACallerWithABindingTokenGetsNothing()
    {
        var value = "sk_live_" + Guid.NewGuid().ToString("N");
        await using var secrets = new PermissionedSecrets(fixture);
        await secrets.StartAsync();
        await secrets.PutAsync("stripe", value);
        using var provider = new RawHttpServer();
        var probe = await HttpProbe.DeployAsync(fixture.Mesh);
        var token = probe.Grant($"POST http://127.0.0.1:{provider.Port}/v1/ with stripe:Authorization=Bearer {{}}");

        // The node, as mesh-node, asks; the service, as mesh-secrets, answers: the header arrives.
        await Eventually.HoldsAsync(async () => (await probe.SendAsync(token, "POST", $"http://127.0.0.1:{provider.Port}/v1/charges")).IsOk, "the granted request goes out");
        Assert.Contains($"Authorization: Bearer {value}\r\n", provider.Received);

        // Alice holds the very token, but may not ask the service: NATS refuses the request.
        using var oneTime = SealingKey.Generate();
        var request = SecretRelease.Write(new SecretRelease.Request("stripe", HttpProbe.Function, oneTime.PublicKey, new byte[SecretRelease.NonceLength]));
        await Assert.ThrowsAnyAsync<NatsException>(async () => await fixture.Alice.RequestAsync<byte[], byte[]>(
            SecretRelease.Subject, request, new NatsHeaders { [MeshHeaders.Token] = token }, replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(1) }));

        // Nor may she stand in for the service to collect what nodes ask it.
        await using var impostor = await fixture.Alice.SubscribeCoreAsync<byte[]>(SecretRelease.Subject);
        await fixture.Alice.PingAsync();
        Assert.True((await probe.SendAsync(probe.Grant($"POST http://127.0.0.1:{provider.Port}/v1/ with stripe:Authorization=Bearer {{}}"), "POST", $"http://127.0.0.1:{provider.Port}/v1/charges")).IsOk);
        Assert.False(impostor.Msgs.TryRead(out _), "a caller saw a release request");
    }
}
