using Mesh.Client;
using Mesh.Contracts.Wire;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace Mesh.Gateway;

/// <summary>
/// Builds a gateway: Kestrel on <see cref="GatewayOptions.Listen"/>, one NATS connection, the route
/// table, and three endpoints: <c>POST /fn/NAME</c> with the caller's bearer token, the declared
/// routes, and <c>GET /healthz</c>. It holds no key and no state of its own: start as many as you like.
/// </summary>
public static class GatewayHost
{
    /// <summary>Why these settings cannot make a gateway, or null.</summary>
    public static string? Problem(IConfiguration configuration) =>
        Options(configuration).Validate(NatsUrlOf(configuration));

    /// <param name="embedded">True inside a larger program (<c>mesh up</c>): Ctrl-C and SIGTERM stay that program's.</param>
    public static WebApplication Build(string[] args, IEnumerable<KeyValuePair<string, string?>>? overrides = null, bool embedded = false)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = [new("Logging:LogLevel:Default", "Information"), new("Logging:LogLevel:NATS", "Warning"), new("Logging:LogLevel:Microsoft", "Warning"),
                // A failed start (the port taken) is said once, in one line, by whoever started the gateway.
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
            kestrel.Listen(GatewayOptions.ParseListen(options.Listen, out _)!);
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(options.MinBodyBytesPerSecond, options.MinBodyRateGrace);
            kestrel.Limits.RequestHeadersTimeout = options.RequestHeadersTimeout;
            kestrel.Limits.MaxConcurrentConnections = options.MaxConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = 0;
            kestrel.Limits.KeepAliveTimeout = options.KeepAliveTimeout;
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<INatsConnection>(sp => new NatsConnection(HostNatsOpts.For(
            NatsUrlOf(builder.Configuration), "mesh-gateway", builder.Configuration["Mesh:Nats:InboxPrefix"] ?? "_INBOX", sp.GetRequiredService<ILoggerFactory>())));
        builder.Services.AddSingleton(sp => new MeshClient(sp.GetRequiredService<INatsConnection>()));
        builder.Services.AddSingleton<GatewayLimits>();
        builder.Services.AddSingleton(new CallWait(options));
        builder.Services.AddSingleton(new ForwardedHeaders(options.EffectiveForwardHeaders));
        builder.Services.AddSingleton<HttpInvocation>();
        builder.Services.AddSingleton<RouteTable>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RouteTable>());
        if (embedded)
        {
            builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        }

        var app = builder.Build();
        Map(app);
        app.Lifetime.ApplicationStarted.Register(() =>
            Log.Listening(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Mesh.Gateway"), string.Join(", ", Addresses(app))));
        return app;
    }

    /// <summary>The addresses the gateway listens on, once started (a port of 0 is the one chosen).</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app) =>
        [.. app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []];

    private static void Map(WebApplication app)
    {
        // Every answer, problems included: a browser takes the type given, never one it guesses.
        app.Use((http, next) =>
        {
            http.Response.Headers.XContentTypeOptions = "nosniff";
            return next(http);
        });
        app.MapGet("/healthz", (INatsConnection nats) =>
            nats.ConnectionState == NatsConnectionState.Open ? Results.Text("ok\n") : Results.Text("NATS is not connected\n", statusCode: 503));
        app.MapMethods("/fn/{name}", ["POST"], (HttpContext http, string name, HttpInvocation invocation) =>
            FunctionName.IsValid(name)
                ? invocation.HandleAsync(http, name, Bearer(http.Request), RoutePolicy.Call)
                : ProblemResponse.For(ErrorCode.FunctionNotFound, $"'{name}' is not a function name (letters, digits, - and _)").WriteAsync(http.Response, http.RequestAborted));
        app.MapFallback((HttpContext http, RouteTable routes, HttpInvocation invocation) =>
        {
            var path = http.Request.Path.Value ?? "/";
            if (routes.Find(http.Request.Method, path) is { } route)
            {
                // A public route presents its route token; any other takes the caller's.
                return invocation.HandleAsync(http, route.Function, route.Public ? route.Token : Bearer(http.Request), RoutePolicy.For(route));
            }

            if (routes.MethodsOf(path) is { Length: > 0 } methods)
            {
                http.Response.Headers.Allow = string.Join(", ", methods);
                return (ProblemResponse.For(ErrorCode.RequestMalformed, $"{path} takes {string.Join(", ", methods)}") with { Status = 405, Title = "Method Not Allowed" })
                    .WriteAsync(http.Response, http.RequestAborted);
            }

            return ProblemResponse.For(ErrorCode.FunctionNotFound, $"no route {http.Request.Method} {Contracts.Wire.PrintableText.Clean(path, 256)}; call POST /fn/NAME with a bearer token, or a route mesh deploy declared")
                .WriteAsync(http.Response, http.RequestAborted);
        });
    }

    private static string? Bearer(HttpRequest request)
    {
        var value = request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        return value.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? value[Scheme.Length..].Trim() : null;
    }

    private static GatewayOptions Options(IConfiguration configuration) =>
        configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();

    private static string NatsUrlOf(IConfiguration configuration) => configuration["Mesh:Nats:Url"] ?? "nats://127.0.0.1:4222";

    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
