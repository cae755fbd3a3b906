using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Mesh.Cli.Parsing;
using Mesh.Contracts.HostCalls;
using Mesh.Gateway;
using Microsoft.AspNetCore.Builder;

namespace Mesh.IntegrationTests.Attacks;

/// <summary>
/// Issue 26 §6: a gateway held 300 idle keep-alive connections open, and every function shares its
/// one origin, so one function's <c>Set-Cookie</c> or page reached every other function's users.
/// Against a real gateway (as the <c>mesh-gateway</c> user of nats.conf) and routes deployed by the
/// operator: connections and idle time are bounded, cookies pass only where a route allows them,
/// pages run in the gateway's origin only where a route says so, and nothing is sniffed.
/// </summary>
public sealed class GatewayExposureAttackTests(PermissionedMesh fixture) : IClassFixture<PermissionedMesh>, IAsyncLifetime, IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("mesh-gateway-exposure-");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };
    private WebApplication _gateway = null!;
    private Uri _address = null!;
    private string _token = "";

    // What the function asks for: a cookie, and HTML.
    private static readonly byte[] CookieAndPage = HttpTrigger.Write(new HttpTrigger.Response(200,
        [("Set-Cookie", "session=stolen; Path=/"), ("Clear-Site-Data", "\"cookies\", \"storage\""), ("Service-Worker-Allowed", "/"), ("Content-Type", "text/html")]));

    public async Task InitializeAsync()
    {
        File.Copy(Path.Combine(AppContext.BaseDirectory, "modules", "respond-as-told.wat"), Path.Combine(_directory.FullName, "told.wat"));
        var seed = Path.Combine(_directory.FullName, "issuer.seed");
        SeedFile.Write(seed, fixture.Mesh.Issuer, force: false);
        var manifest = Path.Combine(_directory.FullName, "mesh.yaml");
        await File.WriteAllTextAsync(manifest, """
            name: site
            functions:
              told:
                module: told.wat
                route: POST /told
                public: true
              app:
                module: told.wat
                route: POST /app
                public: true
                cookies: true
                active: true
            """);
        var (exit, _, error) = await Cli.RunAsync("deploy", "-f", manifest, "--key", seed, "--nats", fixture.OperatorUrl, "--out", Path.Combine(_directory.FullName, "tokens"));
        Assert.True(exit == 0, error);
        Assert.Contains("POST /app -> app (public", error, StringComparison.Ordinal);
        Assert.Contains("sets cookies; its pages run in the gateway's origin", error, StringComparison.Ordinal);
        _token = (await File.ReadAllTextAsync(Path.Combine(_directory.FullName, "tokens", "told.token"))).Trim();

        _gateway = await GatewayFixture.StartGatewayAsync(fixture.UrlFor("mesh-gateway"), new Dictionary<string, string?>
        {
            ["Mesh:Nats:InboxPrefix"] = "_INBOX.gateway",
            ["Mesh:Gateway:MaxConnections"] = "20",
            ["Mesh:Gateway:KeepAliveTimeout"] = "00:00:01",
            ["Mesh:Gateway:RequestHeadersTimeout"] = "00:00:01",
        });
        _address = new Uri(GatewayHost.Addresses(_gateway)[0]);
        await Eventually.HoldsAsync(async () => (await PostAsync("/told")).StatusCode == HttpStatusCode.OK, "the gateway serves the deployed routes");
    }

    public async Task DisposeAsync()
    {
        await _gateway.StopAsync();
        await _gateway.DisposeAsync();
    }

    public void Dispose()
    {
        _http.Dispose();
        _directory.Delete(recursive: true);
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_address, path)) { Content = new ByteArrayContent(CookieAndPage) };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        var response = await _http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    [Theory]
    [InlineData("/told", null)]
    [InlineData("/fn/told", "bearer")]
    public async Task AFunctionsCookie_IsDropped_AndItsPageSandboxed_UnlessItsRouteAllows(string path, string? bearer)
    {
        using var response = await PostAsync(path, bearer is null ? null : _token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"), "a cookie reached the client");
        Assert.False(response.Headers.Contains("Clear-Site-Data"), "the function could wipe the origin's cookies");
        Assert.False(response.Headers.Contains("Service-Worker-Allowed"), "the function could scope a worker over the origin");
        Assert.Contains("sandbox", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ARouteThatSaysSo_SetsCookies_AndServesPagesInTheGatewaysOrigin()
    {
        using var response = await PostAsync("/app");
        Assert.Equal("session=stolen; Path=/", response.Headers.GetValues("Set-Cookie").Single());
        Assert.True(response.Headers.Contains("Clear-Site-Data"));
        Assert.Equal("/", response.Headers.GetValues("Service-Worker-Allowed").Single());
        Assert.False(response.Headers.Contains("Content-Security-Policy"));
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task AFunctionsOwnPolicy_CannotLiftTheSandbox()
    {
        var lifting = HttpTrigger.Write(new HttpTrigger.Response(200, [("Content-Security-Policy", "default-src *"), ("Content-Type", "text/html")]));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_address, "/told")) { Content = new ByteArrayContent(lifting) };
        using var response = await _http.SendAsync(request);
        Assert.Equal(["default-src *", "sandbox"], response.Headers.GetValues("Content-Security-Policy").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ProblemsAreNotSniffedEither()
    {
        using var response = await _http.GetAsync(new Uri(_address, "/nowhere"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task IdleConnections_AreBoundedInNumberAndTime_AndTheGatewayServesAfter()
    {
        // 60 connections that never send a request: at most 20 are kept, and those for at most
        // about a second; a normal request is served once they are gone.
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < 60; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, _address.Port);
                sockets.Add(socket);
            }

            var closed = new bool[sockets.Count];
            await Eventually.HoldsAsync(async () =>
            {
                for (var i = 0; i < sockets.Count; i++)
                {
                    closed[i] = closed[i] || await ClosedByServerAsync(sockets[i]);
                }

                return closed.Count(c => c) >= 40;
            }, "the gateway closes the connections over its limit");

            await Eventually.HoldsAsync(async () =>
            {
                for (var i = 0; i < sockets.Count; i++)
                {
                    closed[i] = closed[i] || await ClosedByServerAsync(sockets[i]);
                }

                return closed.All(c => c);
            }, "the gateway closes idle connections", TimeSpan.FromSeconds(20));

            // A connection that made a request and then idles is closed too.
            using var kept = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await kept.ConnectAsync(IPAddress.Loopback, _address.Port);
            await kept.SendAsync("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"u8.ToArray());
            var buffer = new byte[4096];
            Assert.True(await kept.ReceiveAsync(buffer) > 0);
            await Eventually.HoldsAsync(() => ClosedByServerAsync(kept), "an idle keep-alive connection is closed", TimeSpan.FromSeconds(20));

            using var response = await PostAsync("/told");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    // True once the server has closed its end: a read returns 0 (or the connection was reset).
    private static async Task<bool> ClosedByServerAsync(Socket socket)
    {
        if (!socket.Poll(0, SelectMode.SelectRead))
        {
            return false;
        }

        try
        {
            var buffer = new byte[4096];
            return await socket.ReceiveAsync(buffer, SocketFlags.None) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }
}
