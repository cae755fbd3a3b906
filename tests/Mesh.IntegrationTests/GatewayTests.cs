using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Mesh.Cli.Local;
using Mesh.Cli.Parsing;
using Mesh.Contracts.HostCalls;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Triggers;
using Mesh.Contracts.Wire;
using Mesh.Node.Messaging;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.IntegrationTests;

/// <summary>
/// The HTTP gateway with a real Kestrel on loopback, a real HttpClient (and a raw socket for the
/// slow client), real nodes and NATS: every status mapping, the request and response conventions,
/// the trace context, bounds on bodies and on slow clients, two nodes sharing concurrent requests,
/// and routes deployed from a manifest, public or not.
/// </summary>
public sealed class GatewayTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private MeshCluster Mesh => fixture.Mesh;

    private async Task<string> TokenAsync(string function, string wat, Limits? limits = null) =>
        Mesh.Grant(function, await Mesh.DeployAsync(MeshCluster.Wat(wat)), limits: limits);

    private async Task<HttpResponseMessage> PostAsync(string path, string? token, HttpContent? body = null, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body ?? new StringContent("") };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        configure?.Invoke(request);
        return await fixture.Http.SendAsync(request);
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, int status, string code)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.Equal("urn:mesh:error:" + code, problem.GetProperty("type").GetString());
        return problem;
    }

    [Fact]
    public async Task ABearerCall_AnswersWithTheOutput()
    {
        var token = await TokenAsync("echo", "echo");
        using var response = await PostAsync("/fn/echo", token, new StringContent("hello over http"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello over http", await response.Content.ReadAsStringAsync());
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task TheFunction_ReadsTheRequest_AndSetsStatusAndHeaders_ButNeverSeesTheToken()
    {
        var token = await TokenAsync("http-echo", "http-echo");
        using var response = await PostAsync("/fn/http-echo?a=1&b=x%20y", token, new StringContent("body"), request =>
        {
            request.Headers.Add("X-Order", "42");
            request.Headers.Add("Cookie", "session=secret");
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("wat", response.Headers.GetValues("x-made-by").Single());
        Assert.True(HttpTrigger.TryReadRequest(await response.Content.ReadAsByteArrayAsync(), out var seen, out var error), error);
        Assert.Equal("POST", seen!.Method);
        Assert.Equal("/fn/http-echo", seen.Path);
        Assert.Equal("a=1&b=x%20y", seen.Query);
        Assert.Contains(("x-order", "42"), seen.Headers);
        Assert.Contains(seen.Headers, h => h.Name == "content-type");
        Assert.DoesNotContain(seen.Headers, h => h.Name is "authorization" or "cookie");

        // The same module called over NATS: no HTTP request to read, and a plain reply.
        var plain = await Mesh.CallAsync("http-echo", token);
        Assert.Equal("no http", plain.Output);
    }

    [Fact]
    public async Task MeshCodes_MapToHttpStatuses_WithProblemBodies()
    {
        var echo = await TokenAsync("echo", "echo");
        var problem = await ProblemAsync(await PostAsync("/fn/echo", null), 401, "token.missing");
        Assert.Matches("^[0-9a-f]{32}$", problem.GetProperty("traceId").GetString());

        var bytes = Encoding.ASCII.GetBytes(echo);
        bytes[bytes.Length / 2] = bytes[bytes.Length / 2] == (byte)'A' ? (byte)'B' : (byte)'A';
        using (var flipped = await PostAsync("/fn/echo", Encoding.ASCII.GetString(bytes)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, flipped.StatusCode);
            Assert.StartsWith("token.", JsonDocument.Parse(await flipped.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
            Assert.Equal("Bearer", flipped.Headers.WwwAuthenticate.Single().Scheme);
        }

        using var stranger = SigningKey.Generate();
        var module = await Mesh.DeployAsync(MeshCluster.Wat("echo"));
        await ProblemAsync(await PostAsync("/fn/echo", TokenCodec.ToText(Mesh.GrantBytes("echo", module, issuer: stranger))), 401, "token.untrusted_issuer");
        await ProblemAsync(await PostAsync("/fn/other", echo), 403, "token.wrong_subject");
        await ProblemAsync(await PostAsync("/fn/bad%20name", echo), 404, "function.not_found");
        using (var none = await fixture.Http.GetAsync("/no/such/route"))
        {
            await ProblemAsync(none, 404, "function.not_found");
        }

        await ProblemAsync(await PostAsync("/fn/unreachable", await TokenAsync("unreachable", "unreachable")), 502, "function.trap");
        await ProblemAsync(await PostAsync("/fn/loop", await TokenAsync("loop", "loop", Limits.None with { WallTimeMs = 300 })), 504, "function.timeout");
        await ProblemAsync(await PostAsync("/fn/fails", await TokenAsync("fails", "fails")), 500, "function.error");
    }

    [Fact]
    public async Task TenMegabytes_AreRefusedWith413_WhetherTheLengthIsSaidOrNot()
    {
        var token = await TokenAsync("echo", "echo");
        var tenMegabytes = new byte[10 * 1024 * 1024];
        await ProblemAsync(await PostAsync("/fn/echo", token, new ByteArrayContent(tenMegabytes)), 413, "request.too_large");
        Assert.StartsWith("HTTP/1.1 413", await ChunkedAsync(token, tenMegabytes.Length));

        // The gateway goes on serving.
        using var after = await PostAsync("/fn/echo", token, new StringContent("still here"));
        Assert.Equal("still here", await after.Content.ReadAsStringAsync());
    }

    // A body without a length, sent in chunks until the gateway answers (and stops reading) or all is sent.
    private async Task<string> ChunkedAsync(string token, int total)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, fixture.Address.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /fn/echo HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\n\r\n"));
        var chunk = Encoding.ASCII.GetBytes($"{65536:x}\r\n{new string('a', 65536)}\r\n");
        try
        {
            for (var sent = 0; sent < total && !stream.DataAvailable; sent += 65536)
            {
                await stream.WriteAsync(chunk);
            }
        }
        catch (IOException)
        {
            // The gateway closed its side after answering: the answer is there to read.
        }

        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer, limit.Token);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    [Fact]
    public async Task TheClientsTraceContext_FlowsIntoTheCall()
    {
        var token = await TokenAsync("echo", "echo");
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        // A plain subscriber beside the nodes' queue group sees a copy of each call, headers and all.
        await using var seen = await Mesh.Client.SubscribeCoreAsync<byte[]>("mesh.fn.echo");
        // The round trip makes sure the server has the subscription before the gateway publishes.
        await Mesh.Client.PingAsync();
        using var response = await PostAsync("/fn/echo", token, new StringContent("traced"), r => r.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var call = await seen.Msgs.ReadAsync(wait.Token);
        var traceParent = call.Headers![MeshHeaders.TraceParent].ToString();
        Assert.Matches($"^00-{traceId}-[0-9a-f]{{16}}-01$", traceParent);
        Assert.DoesNotContain("00f067aa0ba902b7", traceParent);
        Assert.True(call.Headers.ContainsKey(MeshHeaders.HttpRequest));
        Assert.Equal(token, call.Headers[MeshHeaders.Token].ToString());

        var problem = await ProblemAsync(await PostAsync("/fn/echo", null, null, r => r.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01")), 401, "token.missing");
        Assert.Equal(traceId, problem.GetProperty("traceId").GetString());
    }

    [Fact]
    public async Task ASlowClient_Gets408_WhileOthersAreServed()
    {
        var token = await TokenAsync("echo", "echo");
        using var slow = new TcpClient();
        await slow.ConnectAsync(IPAddress.Loopback, fixture.Address.Port);
        var stream = slow.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /fn/echo HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {token}\r\nContent-Length: 100000\r\n\r\na"));

        using (var other = await PostAsync("/fn/echo", token, new StringContent("not held up")))
        {
            Assert.Equal("not held up", await other.Content.ReadAsStringAsync());
        }

        // Kestrel's minimum body rate (100 B/s after 2 s here) ends the slow request.
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var buffer = new byte[4096];
        var answer = new StringBuilder();
        int read;
        while (!answer.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) && (read = await stream.ReadAsync(buffer, limit.Token)) > 0)
        {
            answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        Assert.StartsWith("HTTP/1.1 408", answer.ToString());
    }

    [Fact]
    public async Task ConcurrentRequests_AreSharedByTwoNodes()
    {
        var token = await TokenAsync("echo", "echo");
        var before = Mesh.Nodes.Select(n => n.Services.GetRequiredService<NodeStats>().Invocations).ToArray();
        var responses = await Task.WhenAll(Enumerable.Range(0, 64).Select(async i =>
        {
            using var response = await PostAsync("/fn/echo", token, new StringContent($"request {i}"));
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }));
        for (var i = 0; i < responses.Length; i++)
        {
            Assert.Equal((200, $"request {i}"), responses[i]);
        }

        var served = Mesh.Nodes.Select((n, i) => n.Services.GetRequiredService<NodeStats>().Invocations - before[i]).ToArray();
        Assert.Equal(2, served.Length);
        Assert.All(served, count => Assert.True(count > 0, $"each node served some: {string.Join(", ", served)}"));
    }

    [Fact]
    public async Task WithNoNode_TheAnswerIs503_AndSaysWhenToRetry()
    {
        using var empty = await NatsServerProcess.StartAsync();
        var gateway = await GatewayFixture.StartGatewayAsync(empty.Url);
        await using (gateway)
        {
            using var http = new HttpClient { BaseAddress = new Uri(global::Mesh.Gateway.GatewayHost.Addresses(gateway)[0]) };
            using var request = new HttpRequestMessage(HttpMethod.Post, "/fn/echo") { Content = new StringContent("x") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync("echo", "echo"));
            using var response = await http.SendAsync(request);
            await ProblemAsync(response, 503, "node.unavailable");
            Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
            await gateway.StopAsync();
        }
    }

    [Fact]
    public async Task DeployedRoutes_PublicOnesNeedNoToken_OthersTakeTheCallers_AndTheRouteTokenReachesOnlyItsFunction()
    {
        var directory = Directory.CreateTempSubdirectory("mesh-routes-");
        try
        {
            File.Copy(Path.Combine(AppContext.BaseDirectory, "modules", "echo.wat"), Path.Combine(directory.FullName, "echo.wat"));
            var seed = Path.Combine(directory.FullName, "issuer.seed");
            SeedFile.Write(seed, Mesh.Issuer, force: false);
            var manifest = Path.Combine(directory.FullName, "mesh.yaml");
            await File.WriteAllTextAsync(manifest, """
                name: shop
                functions:
                  greet:
                    module: echo.wat
                    route: POST /greet
                    public: true
                  private:
                    module: echo.wat
                    route: PUT /private
                """);
            var (exit, _, error) = await Cli.RunAsync("deploy", "-f", manifest, "--key", seed, "--nats", Mesh.Url, "--out", Path.Combine(directory.FullName, "tokens"));
            Assert.True(exit == 0, error);
            Assert.Contains("route POST /greet -> greet (public", error);

            // A route no deploy would write (an expiry past the calendar) is skipped; the rest are served.
            var bucket = await new NatsKVContext(new NatsJSContext(Mesh.Client)).GetStoreAsync(TriggerBuckets.Routes);
            await bucket.PutAsync("evil.greet", JsonSerializer.SerializeToUtf8Bytes(new RouteDeclaration
            {
                App = "evil", Function = "greet", Method = "POST", Path = "/evil", Public = true, Token = "x", Expires = long.MaxValue,
            }));

            await Eventually.HoldsAsync(async () =>
            {
                using var response = await PostAsync("/greet", null, new StringContent("hi"));
                return response.StatusCode == HttpStatusCode.OK && await response.Content.ReadAsStringAsync() == "hi";
            }, "the public route answers without a token");
            using (var evil = await PostAsync("/evil", null, new StringContent("hi")))
            {
                Assert.Equal(HttpStatusCode.NotFound, evil.StatusCode);
            }

            using (var request = new HttpRequestMessage(HttpMethod.Put, "/private") { Content = new StringContent("x") })
            {
                await ProblemAsync(await fixture.Http.SendAsync(request), 401, "token.missing");
            }

            using (var request = new HttpRequestMessage(HttpMethod.Put, "/private") { Content = new StringContent("mine") })
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", (await File.ReadAllTextAsync(Path.Combine(directory.FullName, "tokens", "private.token"))).Trim());
                using var response = await fixture.Http.SendAsync(request);
                Assert.Equal("mine", await response.Content.ReadAsStringAsync());
            }

            using (var wrongMethod = await fixture.Http.GetAsync("/greet"))
            {
                await ProblemAsync(wrongMethod, 405, "request.malformed");
                Assert.Equal("POST", wrongMethod.Content.Headers.Allow.Single());
            }

            // An attacker who reads the route token from the bucket can call its function and nothing else.
            var routes = await new NatsKVContext(new NatsJSContext(Mesh.Client)).GetStoreAsync(TriggerBuckets.Routes);
            var route = JsonSerializer.Deserialize<RouteDeclaration>((await routes.GetEntryAsync<byte[]>("shop.greet")).Value!)!;
            Assert.Equal("token.wrong_subject", (await Mesh.CallAsync("private", route.Token, "x")).Status);

            // Deployed again without the route: it is gone, and the other one stays.
            await File.WriteAllTextAsync(manifest, """
                name: shop
                functions:
                  private:
                    module: echo.wat
                    route: PUT /private
                """);
            (exit, _, error) = await Cli.RunAsync("deploy", "-f", manifest, "--key", seed, "--nats", Mesh.Url);
            Assert.True(exit == 0, error);
            await Eventually.HoldsAsync(async () =>
            {
                using var response = await PostAsync("/greet", null, new StringContent("hi"));
                return response.StatusCode == HttpStatusCode.NotFound;
            }, "the removed route answers 404");
            Assert.False((await routes.TryGetEntryAsync<byte[]>("shop.greet")).Success);
            Assert.True((await routes.TryGetEntryAsync<byte[]>("shop.private")).Success);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
