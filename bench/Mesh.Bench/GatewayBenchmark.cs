using System.Net;
using System.Net.Http.Headers;
using Mesh.Contracts.Wire;
using NATS.Client.Core;

namespace Mesh.Bench;

/// <summary>
/// HTTP through the gateway to a node against a plain ASP.NET Core endpoint doing the same echo,
/// in one run: same client (HttpClient, one connection per call in flight), same 64-byte body, same
/// concurrency, each server in a process of its own, warmed until its JIT is done, CPU per call of
/// every process the request passes through.
/// </summary>
public static class GatewayBenchmark
{
    private const int Payload = 64;
    private const int Rounds = 3;

    private sealed record Sample(LoadRun Load, double LoadCpu, double[] ServerCpu);

    public static async Task<string> RunAsync()
    {
        await using var mesh = await BenchMesh.StartAsync(nodeCount: 0);
        var token = mesh.Token(mesh.Grant("echo"));
        var (node, gateway, gatewayPort) = StartServers(mesh, []);
        using var nodeProcess = node;
        using var gatewayProcess = gateway;
        var echoPort = FreePort();
        using var echo = ChildProcess.Start("Mesh.Bench.dll", ["http-echo", echoPort.ToString(System.Globalization.CultureInfo.InvariantCulture)], new Dictionary<string, string>());
        await echo.WaitForLineAsync("http echo ready", TimeSpan.FromSeconds(30));

        var rows = new List<string>();
        var quoted = new List<string>();
        foreach (var concurrency in new[] { 1, 64 })
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, UseProxy = false });
            var body = new byte[Payload];
            async Task Post(Uri uri, string? bearer)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
                if (bearer is not null)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
                }

                using var response = await http.SendAsync(request);
                if (response.StatusCode != HttpStatusCode.OK || (await response.Content.ReadAsByteArrayAsync()).Length != Payload)
                {
                    throw new InvalidOperationException($"{uri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }

            var plainUri = new Uri($"http://127.0.0.1:{echoPort}/echo");
            var meshUri = new Uri($"http://127.0.0.1:{gatewayPort}/fn/echo");
            await FirstAnsweredAsync(() => Post(meshUri, token));
            // Warm until the JIT is done: a cold .NET process is several times slower.
            for (var i = 0; i < 3; i++)
            {
                await LoadRun.RunAsync(() => Post(plainUri, null), concurrency, 10_000);
                await LoadRun.RunAsync(() => Post(meshUri, token), concurrency, 10_000);
            }

            var calls = concurrency == 1 ? 3_000 : 30_000;
            var plain = new List<Sample>();
            var meshed = new List<Sample>();
            for (var round = 0; round < Rounds; round++)
            {
                plain.Add(await SampleAsync(() => Post(plainUri, null), concurrency, calls, [echo.Id]));
                meshed.Add(await SampleAsync(() => Post(meshUri, token), concurrency, calls, [gateway.Id, node.Id, mesh.ServerProcessId]));
            }

            var plainMedian = Median(plain);
            var meshMedian = Median(meshed);
            rows.Add($"| {concurrency} | plain ASP.NET Core echo (own process) | {plainMedian.Load.PerSecond:N0} | {plainMedian.Load.P50:N0} | {plainMedian.Load.P99:N0} | {plainMedian.LoadCpu:0.0} | {plainMedian.ServerCpu[0]:0.0} | 1.00 |");
            rows.Add($"| {concurrency} | **HTTP → gateway → NATS → node** (token + sandbox) | {meshMedian.Load.PerSecond:N0} | {meshMedian.Load.P50:N0} | {meshMedian.Load.P99:N0} | {meshMedian.LoadCpu:0.0} | {meshMedian.ServerCpu.Sum():0.0} ({meshMedian.ServerCpu[0]:0.0} gateway, {meshMedian.ServerCpu[1]:0.0} node, {meshMedian.ServerCpu[2]:0.0} nats-server) | **{meshMedian.Load.PerSecond / plainMedian.Load.PerSecond:0.00}** |");
            quoted.Add($"{concurrency} in flight: {string.Join(", ", meshed.Zip(plain, (m, p) => $"{m.Load.PerSecond / p.Load.PerSecond:0.00}"))}");
        }

        return $"""
            ## Gateway: HTTP calls end to end

            A POST with a 64-byte body from HttpClient (one connection per call in flight) to either a
            plain ASP.NET Core endpoint that echoes it (the baseline: Kestrel, a minimal API, no token,
            no sandbox) or the gateway (`dotnet Mesh.Gateway.dll`), which sends it to a node
            (`dotnet Mesh.Node.dll`) through nats-server on loopback; the node verifies the bearer
            token (cached after the first call), runs `examples/wat/echo.wat` in a fresh Wasmtime
            store and replies, and the gateway answers 200 with the output. Every server is a process
            of its own; each was warmed with 60,000 calls first. Each row is the median of {Rounds}
            rounds, the rows' rounds alternated. CPU is what each process spent per call (user and
            system time from the OS).

            | in flight | server | calls/s | p50 µs | p99 µs | CPU µs/call: load | CPU µs/call: server(s) | vs plain |
            |---:|---|---:|---:|---:|---:|---|---:|
            {string.Join("\n", rows)}

            Mesh / plain, each round: {string.Join("; ", quoted)}.

            {Machine.Describe()}
            """;
    }

    /// <summary>
    /// Load for a profiler (bench/profile.sh 10 gateway): a gateway process with .NET perf maps in
    /// front of a node, warmed, then 64 requests in flight for <paramref name="seconds"/>.
    /// </summary>
    public static async Task<int> LoadForProfileAsync(int seconds)
    {
        await using var mesh = await BenchMesh.StartAsync(nodeCount: 0);
        var token = mesh.Token(mesh.Grant("echo"));
        var (node, gateway, port) = StartServers(mesh, new Dictionary<string, string>
        {
            ["DOTNET_PerfMapEnabled"] = "1",
            // Without this, JIT code runs from a double mapping perf cannot name.
            ["DOTNET_EnableWriteXorExecute"] = "0",
        });
        using var nodeProcess = node;
        using var gatewayProcess = gateway;
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, UseProxy = false });
        var uri = new Uri($"http://127.0.0.1:{port}/fn/echo");
        var body = new byte[Payload];
        async Task Post()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
        }

        await FirstAnsweredAsync(Post);
        for (var i = 0; i < 10; i++)
        {
            await LoadRun.RunAsync(Post, 64, 10_000);
        }

        Console.WriteLine($"gateway pid {gateway.Id}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var calls = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            await LoadRun.RunAsync(Post, 64, 5_000);
            calls += 5_000;
        }

        Console.WriteLine($"{calls / clock.Elapsed.TotalSeconds:N0} calls/s for {clock.Elapsed.TotalSeconds:0} s");
        return 0;
    }

    // A node and a gateway in processes of their own, on the bench's NATS; the gateway on a free port.
    private static (ChildProcess Node, ChildProcess Gateway, int Port) StartServers(BenchMesh mesh, Dictionary<string, string> gatewayExtra)
    {
        var environment = new Dictionary<string, string>
        {
            ["Mesh__Nats__Url"] = mesh.Url,
            ["Mesh__Tokens__TrustedRoots__0"] = mesh.Issuer.PublicKeyText,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        var node = ChildProcess.Start("Mesh.Node.dll", [], environment);
        var port = FreePort();
        var gateway = ChildProcess.Start("Mesh.Gateway.dll", [], new Dictionary<string, string>(environment.Concat(gatewayExtra)) { ["Mesh__Gateway__Listen"] = $"127.0.0.1:{port}" });
        return (node, gateway, port);
    }

    private static Sample Median(List<Sample> samples) => samples.OrderBy(s => s.Load.PerSecond).ElementAt(samples.Count / 2);

    private static async Task<Sample> SampleAsync(Func<Task> operation, int concurrency, int calls, int[] servers)
    {
        var load = System.Diagnostics.Process.GetCurrentProcess();
        var loadBefore = load.TotalProcessorTime;
        var before = servers.Select(ChildProcess.CpuOf).ToArray();
        var run = await LoadRun.RunAsync(operation, concurrency, calls);
        load.Refresh();
        double PerCall(TimeSpan spent) => spent.TotalMicroseconds / calls;
        return new Sample(run, PerCall(load.TotalProcessorTime - loadBefore), [.. servers.Select((id, i) => PerCall(ChildProcess.CpuOf(id) - before[i]))]);
    }

    // Calls until one is answered, within a minute: the node and the gateway start on their own.
    private static async Task FirstAnsweredAsync(Func<Task> call)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await call();
                return;
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException && started.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(50);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
