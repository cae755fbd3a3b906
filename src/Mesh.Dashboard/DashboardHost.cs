using System.Text.Json;
using Mesh.Client;
using Mesh.Contracts.Wire;
using Mesh.Dashboard.Activity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace Mesh.Dashboard;

/// <summary>
/// Builds a dashboard: Kestrel on <see cref="DashboardOptions.Listen"/>, one NATS connection, the
/// live log feed and the nodes' stats, and a read-only page that the server pushes a snapshot to
/// every second (server-sent events, <c>GET /events</c>). It holds no key, changes nothing and
/// keeps no state a restart loses: what it shows comes back from NATS within seconds.
/// </summary>
public static class DashboardHost
{
    /// <summary>Open event streams at once; more are refused (503), so a reloading tab cannot pile them up.</summary>
    public const int MaxStreams = 32;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string? Problem(IConfiguration configuration) => Options(configuration).Validate(NatsUrlOf(configuration));

    /// <param name="embedded">True inside a larger program (<c>mesh up</c>): Ctrl-C and SIGTERM stay that program's.</param>
    public static WebApplication Build(string[] args, IEnumerable<KeyValuePair<string, string?>>? overrides = null, bool embedded = false)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = [new("Logging:LogLevel:Default", "Information"), new("Logging:LogLevel:NATS", "Warning"), new("Logging:LogLevel:Microsoft", "Warning"),
                new("Logging:LogLevel:Microsoft.Extensions.Hosting", "Critical")],
        });
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        if (Problem(builder.Configuration) is { } problem)
        {
            throw new ArgumentException(problem);
        }

        var options = Options(builder.Configuration);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(ListenAddress.Parse("Mesh:Dashboard:Listen", options.Listen, out _)!);
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<INatsConnection>(sp => new NatsConnection(HostNatsOpts.For(
            NatsUrlOf(builder.Configuration), "mesh-dashboard", builder.Configuration["Mesh:Nats:InboxPrefix"] ?? "_INBOX", sp.GetRequiredService<ILoggerFactory>())));
        builder.Services.AddSingleton<MeshActivity>();
        builder.Services.AddSingleton<NodesFeed>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NodesFeed>());
        builder.Services.AddHostedService<LogFeed>();
        builder.Services.AddSingleton<DeadLettersFeed>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DeadLettersFeed>());
        builder.Services.AddSingleton<StreamCount>();
        if (embedded)
        {
            builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        }

        var app = builder.Build();
        Map(app);
        app.Lifetime.ApplicationStarted.Register(() =>
            Log.Listening(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Mesh.Dashboard"), string.Join(", ", Addresses(app))));
        return app;
    }

    /// <summary>The addresses the dashboard listens on, once started (a port of 0 is the one chosen).</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app) =>
        [.. app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []];

    private static void Map(WebApplication app)
    {
        // First: a name the dashboard is not reached by, or another page's request, gets nothing.
        var hosts = new HostCheck(app.Services.GetRequiredService<IOptions<DashboardOptions>>().Value.AllowedHosts);
        app.Use(hosts.InvokeAsync);
        app.Use((http, next) =>
        {
            // The page loads nothing from elsewhere and is framed by no one.
            http.Response.Headers.ContentSecurityPolicy = "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
            http.Response.Headers.XContentTypeOptions = "nosniff";
            return next(http);
        });
        app.MapGet("/healthz", (INatsConnection nats) =>
            nats.ConnectionState == NatsConnectionState.Open ? Results.Text("ok\n") : Results.Text("NATS is not connected\n", statusCode: 503));
        app.MapGet("/events", StreamAsync);
        app.MapPost("/inspect", InspectAsync);
        app.MapGet("/", () => Asset("index.html"));
        app.MapGet("/{*path}", (string path) => Asset(path));
    }

    // One page's feed: a whole snapshot every Refresh, as server-sent events, until it goes away.
    private static async Task StreamAsync(HttpContext http, StreamCount streams, MeshActivity activity, NodesFeed nodes, DeadLettersFeed dead, IOptions<DashboardOptions> options, TimeProvider time)
    {
        if (!streams.TryEnter())
        {
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        try
        {
            http.Response.ContentType = "text/event-stream";
            http.Response.Headers.CacheControl = "no-store";
            var ct = http.RequestAborted;
            while (!ct.IsCancellationRequested)
            {
                var (functions, refusals, chains) = activity.Snapshot();
                var snapshot = new { time = time.GetUtcNow(), nodes = nodes.Nodes, functions, refusals = refusals.Take(200), chains, deadLetters = dead.Letters };
                await http.Response.WriteAsync("data: ", ct);
                await JsonSerializer.SerializeAsync(http.Response.Body, snapshot, Json, ct);
                await http.Response.WriteAsync("\n\n", ct);
                await http.Response.Body.FlushAsync(ct);
                await Task.Delay(options.Value.Refresh, time, ct);
            }
        }
        catch (OperationCanceledException)
        {
            // The page went away.
        }
        finally
        {
            streams.Leave();
        }
    }

    /// <summary>Most of a token a page may send for inspection; tokens are a few KiB.</summary>
    public const int MaxInspectedBytes = 64 * 1024;

    // The token inspector: what mesh token inspect prints. The token is read, reported on and
    // dropped: never logged, stored or sent on.
    private static async Task<IResult> InspectAsync(HttpContext http, IConfiguration configuration, TimeProvider time)
    {
        if (http.Request.ContentLength > MaxInspectedBytes)
        {
            return Results.Json(new { verification = new { ok = false, code = ErrorCode.TokenTooLarge.ToWire(), message = $"a token is at most {MaxInspectedBytes} bytes" } }, Json, statusCode: 413);
        }

        using var reader = new StreamReader(http.Request.Body, System.Text.Encoding.UTF8);
        var buffer = new char[MaxInspectedBytes + 1];
        var read = await reader.ReadBlockAsync(buffer, http.RequestAborted);
        var text = new string(buffer, 0, read).Trim();
        var bytes = Contracts.Tokens.TokenCodec.FromText(text, MaxInspectedBytes);
        if (!bytes.IsOk)
        {
            return Results.Json(new { verification = new { ok = false, code = bytes.Error.Code.ToWire(), message = bytes.Error.Message } }, Json);
        }

        var roots = configuration.GetSection("Mesh:Tokens:TrustedRoots").Get<string[]>() ?? [];
        var report = TokenReport.Build(bytes.Value, roots, function: null, module: null, time);
        return Results.Text(report.Json, "application/json; charset=utf-8");
    }

    private static IResult Asset(string path)
    {
        var stream = typeof(DashboardHost).Assembly.GetManifestResourceStream($"wwwroot/{path}");
        if (stream is null)
        {
            return Results.NotFound();
        }

        var type = Path.GetExtension(path) switch
        {
            ".html" => "text/html; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            ".css" => "text/css; charset=utf-8",
            _ => "application/octet-stream",
        };
        return Results.Stream(stream, type);
    }

    private static DashboardOptions Options(IConfiguration configuration) =>
        configuration.GetSection(DashboardOptions.Section).Get<DashboardOptions>() ?? new DashboardOptions();

    private static string NatsUrlOf(IConfiguration configuration) => configuration["Mesh:Nats:Url"] ?? "nats://127.0.0.1:4222";

    /// <summary>How many event streams are open.</summary>
    private sealed class StreamCount
    {
        private int _open;

        public bool TryEnter()
        {
            if (Interlocked.Increment(ref _open) <= MaxStreams)
            {
                return true;
            }

            Interlocked.Decrement(ref _open);
            return false;
        }

        public void Leave() => Interlocked.Decrement(ref _open);
    }

    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
