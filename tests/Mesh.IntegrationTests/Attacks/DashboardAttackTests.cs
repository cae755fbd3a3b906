using System.Net;
using System.Text;
using Mesh.Dashboard;
using Microsoft.AspNetCore.Builder;

namespace Mesh.IntegrationTests.Attacks;

/// <summary>
/// Issue 26 §5: <c>GET /events</c> with <c>Host: attacker.example</c> returned the live data, so a
/// page that rebinds its DNS name to 127.0.0.1 could read function names, refusals and token ids.
/// Against a real dashboard on loopback (over the least-privilege NATS of nats.conf): a name it is
/// not reached by gets 421 and nothing else, a request another page sends gets 403, and the
/// dashboard goes on serving its own page.
/// </summary>
public sealed class DashboardAttackTests(PermissionedMesh fixture) : IClassFixture<PermissionedMesh>, IAsyncLifetime, IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };
    private WebApplication _dashboard = null!;
    private Uri _address = null!;

    public async Task InitializeAsync()
    {
        _dashboard = DashboardHost.Build([], [
            new("Mesh:Nats:Url", fixture.OperatorUrl),
            new("Mesh:Dashboard:Listen", "127.0.0.1:0"),
            new("Mesh:Dashboard:AllowedHosts:0", "dash.example.com"),
            new("Mesh:Tokens:TrustedRoots:0", fixture.Mesh.Issuer.PublicKeyText)], embedded: true);
        await _dashboard.StartAsync();
        _address = new Uri(DashboardHost.Addresses(_dashboard)[0]);
    }

    public async Task DisposeAsync()
    {
        await _dashboard.StopAsync();
        await _dashboard.DisposeAsync();
    }

    public void Dispose() => _http.Dispose();

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string path, string? host = null, string? origin = null, HttpMethod? method = null, string? content = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, new Uri(_address, path));
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (content is not null)
        {
            request.Content = new StringContent(content, Encoding.UTF8, "text/plain");
        }

        // Only the headers: an event stream that is allowed never ends.
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var body = response.Content.Headers.ContentType?.MediaType == "text/event-stream"
            ? await ReadFirstEventAsync(response)
            : await response.Content.ReadAsStringAsync();
        return (response.StatusCode, body);
    }

    private static async Task<string> ReadFirstEventAsync(HttpResponseMessage response)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        return await reader.ReadLineAsync() ?? "";
    }

    [Theory]
    [InlineData("/events")]
    [InlineData("/")]
    [InlineData("/app.js")]
    [InlineData("/healthz")]
    public async Task ARequestForANameTheDashboardIsNotReachedBy_GetsNothing(string path)
    {
        foreach (var host in new[] { $"attacker.example:{_address.Port}", "attacker.example", $"localhost.attacker.example:{_address.Port}", $"127.0.0.1.nip.io:{_address.Port}" })
        {
            var (status, body) = await GetAsync(path, host: host);
            Assert.Equal(HttpStatusCode.MisdirectedRequest, status);
            Assert.DoesNotContain("data:", body, StringComparison.Ordinal);
            Assert.DoesNotContain("<html", body, StringComparison.OrdinalIgnoreCase);
        }

        await AssertServingAsync();
    }

    [Fact]
    public async Task TheNamesItIsReachedBy_AreServed()
    {
        foreach (var host in new[] { $"127.0.0.1:{_address.Port}", $"localhost:{_address.Port}", $"dash.example.com:{_address.Port}" })
        {
            var (status, body) = await GetAsync("/events", host: host);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.StartsWith("data: {", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ARequestFromAnotherPage_IsRefused_TheEventStreamAndTheInspectorAlike()
    {
        foreach (var origin in new[] { "http://attacker.example", $"http://attacker.example:{_address.Port}", "null", $"http://127.0.0.1:{_address.Port + 1}", $"http://127.0.0.1:{_address.Port}.attacker.example", "file:///etc" })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync("/events", origin: origin)).Status);
            var (status, body) = await GetAsync("/inspect", origin: origin, method: HttpMethod.Post, content: fixture.Mesh.Grant("echo", Mesh.Contracts.Tokens.Sha256Digest.Of([])));
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.DoesNotContain("verification", body, StringComparison.Ordinal);
        }

        // The dashboard's own page: its origin is the address it is served at (over TLS too, when
        // a proxy in front ends it).
        foreach (var own in new[] { $"http://127.0.0.1:{_address.Port}", $"https://127.0.0.1:{_address.Port}" })
        {
            Assert.Equal(HttpStatusCode.OK, (await GetAsync("/inspect", origin: own, method: HttpMethod.Post, content: "x")).Status);
        }

        await AssertServingAsync();
    }

    private async Task AssertServingAsync()
    {
        var (status, body) = await GetAsync("/events");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("data: {", body, StringComparison.Ordinal);
    }
}
