using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Mesh.Cli.Local;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;

namespace Mesh.IntegrationTests;

/// <summary>
/// With an OTLP endpoint set, a node exports a span per invocation: here to a real OTLP/HTTP
/// receiver on loopback (an HttpListener taking what the exporter posts to /v1/traces).
/// </summary>
public sealed class TraceExportTests : IAsyncLifetime, IDisposable
{
    private NatsServerProcess _nats = null!;
    private MeshCluster _mesh = null!;
    private readonly OtlpReceiver _receiver = new();

    public async Task InitializeAsync()
    {
        _nats = await NatsServerProcess.StartAsync();
        _mesh = await MeshCluster.StartAsync(_nats.Url, settings: new Dictionary<string, string?>
        {
            ["Mesh:Tracing:OtlpEndpoint"] = $"http://127.0.0.1:{_receiver.Port}",
            ["Mesh:Tracing:Protocol"] = "http/protobuf",
            ["Mesh:Tracing:ServiceName"] = "mesh-node-under-test",
            // Export within a fraction of a second instead of the default five.
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
        });
    }

    public async Task DisposeAsync()
    {
        await _mesh.DisposeAsync();
        _nats.Dispose();
    }

    public void Dispose() => _receiver.Dispose();

    [Fact]
    public async Task AChainsSpans_AndTheNodesMetrics_ReachTheCollector()
    {
        var suffix = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "modules", "suffix.wat"));
        var first = await _mesh.DeployAsync(Wasmtime.Module.ConvertText(suffix));
        var second = await _mesh.DeployAsync(Wasmtime.Module.ConvertText(suffix.Replace("\"+\"", "\"!\"")));
        var token = _mesh.GrantAll(
        [
            new FunctionGrant("traced-first", [first], CapabilitySet.None, Limits.None) { Then = ["traced-second"] },
            new FunctionGrant("traced-second", [second], CapabilitySet.None, Limits.None),
        ]);

        var reply = await _mesh.CallAsync("traced-first", token, "x");
        Assert.True(reply.IsOk, reply.ToString());

        await Eventually.HoldsAsync(() => _receiver.Received.Contains("invoke traced-first") && _receiver.Received.Contains("invoke traced-second"), "both spans exported");

        // OTLP protobuf keeps strings as UTF-8, so span names and attribute values read as text.
        var exported = _receiver.Received;
        Assert.Contains("invoke traced-first", exported);
        Assert.Contains("invoke traced-second", exported);
        Assert.Contains("mesh-node-under-test", exported);
        Assert.Contains("mesh.token_id", exported);

        await Eventually.HoldsAsync(() => _receiver.Metrics.Contains("mesh.invocation.duration"), "metrics exported", TimeSpan.FromSeconds(30));

        Assert.Contains("mesh.invocations", _receiver.Metrics);
        Assert.Contains("mesh.invocation.duration", _receiver.Metrics);
        Assert.Contains("mesh.token_cache.lookups", _receiver.Metrics);
    }

    private sealed class OtlpReceiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly ConcurrentQueue<string> _bodies = new();
        private readonly ConcurrentQueue<string> _metrics = new();
        private readonly Task _loop;

        public OtlpReceiver()
        {
            Port = NatsServerProcess.FreePort();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    try
                    {
                        var context = await _listener.GetContextAsync();
                        using var body = new MemoryStream();
                        await context.Request.InputStream.CopyToAsync(body);
                        if (context.Request.Url!.AbsolutePath == "/v1/traces")
                        {
                            _bodies.Enqueue(Encoding.Latin1.GetString(body.ToArray()));
                        }
                        else if (context.Request.Url.AbsolutePath == "/v1/metrics")
                        {
                            _metrics.Enqueue(Encoding.Latin1.GetString(body.ToArray()));
                        }

                        context.Response.StatusCode = 200;
                        context.Response.ContentType = "application/x-protobuf";
                        context.Response.Close();
                    }
                    catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                    {
                        return;
                    }
                }
            });
        }

        public int Port { get; }

        public string Received => string.Concat(_bodies);

        public string Metrics => string.Concat(_metrics);

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
    }
}
