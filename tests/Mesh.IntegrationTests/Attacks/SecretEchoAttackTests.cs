using System.Text;
using Mesh.Contracts.HostCalls;
using Mesh.Node.Secrets;

namespace Mesh.IntegrationTests.Attacks;

/// <summary>
/// Issue 26 §2: a provider that reflects its request (httpbin's <c>/headers</c>, an error page
/// quoting the key, the key encoded, compressed without being asked) handed the secret the node
/// added to the guest. Against a real echoing server on loopback, a secrets service and a node
/// under nats.conf: every echo reaches the guest as <see cref="SecretEchoes.Marker"/>, and each
/// one is recorded like a refusal.
/// </summary>
public sealed class SecretEchoAttackTests(PermissionedMesh fixture) : IClassFixture<PermissionedMesh>, IAsyncLifetime, IDisposable
{
    private readonly string _value = "sk_live_" + Guid.NewGuid().ToString("N");
    private readonly EchoingProvider _provider = new();
    private PermissionedSecrets _secrets = null!;
    private HttpProbe _probe = null!;
    private string _token = "";

    public async Task InitializeAsync()
    {
        _secrets = new PermissionedSecrets(fixture);
        await _secrets.StartAsync();
        await _secrets.PutAsync("stripe", _value);
        _probe = await HttpProbe.DeployAsync(fixture.Mesh);
        _token = _probe.Grant($"GET,POST http://127.0.0.1:{_provider.Port}/v1/ with stripe:Authorization=Bearer {{}}");
    }

    public async Task DisposeAsync() => await _secrets.DisposeAsync();

    public void Dispose() => _provider.Dispose();

    // Every way the provider hands the key back, as the guest could decode it.
    private IEnumerable<string> Leaks()
    {
        var header = Encoding.ASCII.GetBytes("Bearer " + _value);
        yield return _value;
        yield return Convert.ToBase64String(header);
        yield return Convert.ToBase64String(header).Replace('+', '-').Replace('/', '_').TrimEnd('=');
        yield return Convert.ToHexString(header);
        yield return Convert.ToHexStringLower(Encoding.ASCII.GetBytes(_value));
        yield return Convert.ToBase64String(Encoding.ASCII.GetBytes(_value));
        yield return Uri.EscapeDataString("Bearer " + _value);
    }

    [Theory]
    [InlineData("/v1/headers")]
    [InlineData("/v1/error")]
    [InlineData("/v1/encoded")]
    [InlineData("/v1/header-name")]
    [InlineData("/v1/gzip")]
    public async Task AnEchoedSecret_ReachesTheGuestAsTheMarker_AndIsRecorded(string path)
    {
        var denied = fixture.NodeStats.DeniedOf("secret");
        var reply = await _probe.SendAsync(_token, "GET", $"http://127.0.0.1:{_provider.Port}{path}");
        Assert.True(reply.IsOk, reply.ToString());

        // Everything the guest read: status, every header name and value, the body, decoded.
        var response = HttpProbe.Response(reply);
        var seen = Encoding.ASCII.GetString(reply.Data) + string.Join('\n', response.Headers.Select(h => $"{h.Name}: {h.Value}")) + Encoding.ASCII.GetString(response.Body);
        foreach (var leak in Leaks())
        {
            Assert.DoesNotContain(leak, seen, StringComparison.Ordinal);
        }

        Assert.Contains(SecretEchoes.Marker, seen, StringComparison.Ordinal);
        Assert.Contains("secret:stripe", reply.Denied ?? "", StringComparison.Ordinal);
        Assert.Equal(denied + 1, fixture.NodeStats.DeniedOf("secret"));
        if (path == "/v1/gzip")
        {
            // Decoded for the guest, which reads it as it would have read it plain.
            Assert.StartsWith("{\"headers\":{\"Authorization\":\"Bearer MESH-REDACTED-SECRET\"}}", Encoding.ASCII.GetString(response.Body), StringComparison.Ordinal);
            Assert.DoesNotContain(response.Headers, h => h.Name.Equals("Content-Encoding", StringComparison.OrdinalIgnoreCase));
        }

        await AssertServingAsync();
    }

    [Fact]
    public async Task ARequestCarryingASecret_MayNotAskForACompressedOrPartialAnswer_NorTakeOneItCannotRead()
    {
        var before = _provider.Requests;
        var gzip = await _probe.SendAsync(_token, "GET", $"http://127.0.0.1:{_provider.Port}/v1/headers", ("Accept-Encoding", "gzip, br"));
        Assert.Equal(HttpProbe.Returned(1), gzip.Message);
        var slice = await _probe.SendAsync(_token, "GET", $"http://127.0.0.1:{_provider.Port}/v1/headers", ("range", "bytes=30-35"));
        Assert.Equal(HttpProbe.Returned(1), slice.Message);
        Assert.Equal(before, _provider.Requests);

        // Sent, answered in an encoding the node does not read: the guest gets nothing of it.
        var compress = await _probe.SendAsync(_token, "GET", $"http://127.0.0.1:{_provider.Port}/v1/compress");
        Assert.Equal(HttpProbe.Returned(1), compress.Message);
        Assert.Contains("http:GET", compress.Denied ?? "", StringComparison.Ordinal);
        Assert.DoesNotContain(_value, Encoding.ASCII.GetString(compress.Data), StringComparison.Ordinal);

        // Without a secret, compression is the guest's business.
        var plain = _probe.Grant($"GET http://127.0.0.1:{_provider.Port}/v1/");
        Assert.True((await _probe.SendAsync(plain, "GET", $"http://127.0.0.1:{_provider.Port}/v1/compress", ("Accept-Encoding", "compress"))).IsOk);
        await AssertServingAsync();
    }

    private async Task AssertServingAsync()
    {
        var fine = await _probe.SendAsync(_probe.Grant($"GET http://127.0.0.1:{_provider.Port}/"), "GET", $"http://127.0.0.1:{_provider.Port}/nothing");
        Assert.True(fine.IsOk, fine.ToString());
        Assert.Equal(404, HttpProbe.Response(fine).Status);
    }
}
