namespace Mesh.IntegrationTests.Attacks;

/// <summary>
/// Issue 26 §3: after <c>mesh secret rm</c> a node that had released the secret for a token went
/// on sending the removed value from its copy (kept up to 5 minutes). Now, once <c>mesh secret
/// put</c> or <c>rm</c> returns, no node uses the old value: tested through a node that holds a
/// copy, with the secrets service and the node each under their own nats.conf user.
/// </summary>
public sealed class SecretChangeTests(PermissionedMesh fixture) : IClassFixture<PermissionedMesh>, IAsyncLifetime, IDisposable
{
    private readonly string _first = "sk_live_first_" + Guid.NewGuid().ToString("N");
    private readonly string _second = "sk_live_second_" + Guid.NewGuid().ToString("N");
    private readonly RawHttpServer _provider = new();
    private PermissionedSecrets _secrets = null!;
    private HttpProbe _probe = null!;
    private string _token = "";

    private string Url => $"http://127.0.0.1:{_provider.Port}/v1/charges";

    public async Task InitializeAsync()
    {
        _secrets = new PermissionedSecrets(fixture);
        await _secrets.StartAsync();
        _probe = await HttpProbe.DeployAsync(fixture.Mesh);
        _token = _probe.Grant($"POST http://127.0.0.1:{_provider.Port}/v1/ with stripe:Authorization=Bearer {{}}");
    }

    public async Task DisposeAsync() => await _secrets.DisposeAsync();

    public void Dispose() => _provider.Dispose();

    private static int Count(string haystack, string needle) => (haystack.Length - haystack.Replace(needle, "", StringComparison.Ordinal).Length) / needle.Length;

    [Fact]
    public async Task OnceSecretPutOrRmReturns_ANodeThatKeptTheOldValue_NoLongerSendsIt()
    {
        await _secrets.PutAsync("stripe", _first);
        Assert.True((await _probe.SendAsync(_token, "POST", Url)).IsOk);
        Assert.Equal(1, Count(_provider.Received, _first));

        // The node keeps its copy: with the service gone, the call still carries the value.
        await _secrets.StopAsync();
        Assert.True((await _probe.SendAsync(_token, "POST", Url)).IsOk);
        Assert.Equal(2, Count(_provider.Received, _first));
        await _secrets.StartAsync();

        // Replaced: the very next call, as soon as the command returns, carries the new value.
        await _secrets.PutAsync("stripe", _second);
        var replaced = await _probe.SendAsync(_token, "POST", Url);
        Assert.True(replaced.IsOk, replaced.ToString());
        Assert.Equal(2, Count(_provider.Received, _first));
        Assert.Equal(1, Count(_provider.Received, _second));

        // Removed: the next call has no value to send, so it does not go out.
        await _secrets.RemoveAsync("stripe");
        var removed = await _probe.SendAsync(_token, "POST", Url);
        Assert.Equal("secret.unavailable", removed.Status);
        Assert.Equal(2, Count(_provider.Received, _first));
        Assert.Equal(1, Count(_provider.Received, _second));

        // And nothing else stopped: another function's call, and the secret put back, work.
        await _secrets.PutAsync("stripe", _second);
        Assert.True((await _probe.SendAsync(_token, "POST", Url)).IsOk);
        Assert.Equal(2, Count(_provider.Received, _second));
    }
}
