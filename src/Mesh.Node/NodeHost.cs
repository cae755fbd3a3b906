using Mesh.Node.Invocations;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Capabilities;
using Mesh.Node.Chaining;
using Mesh.Node.Messaging;
using Mesh.Node.Modules;
using Mesh.Node.Sandbox;
using Mesh.Node.Telemetry;
using Mesh.Node.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using OpenTelemetry.Resources;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Mesh.Node;

/// <summary>Builds a node: configuration, the services that make it up, and its lifetime.</summary>
public static class NodeHost
{
    /// <summary>
    /// A node host. Settings come from appsettings.json, then the environment (<c>Mesh__...</c>),
    /// then the command line (<c>--Mesh:Nats:Url=...</c>), then <paramref name="overrides"/>.
    /// </summary>
    /// <param name="embedded">
    /// True when the node is one part of a larger program (<c>mesh up</c>): it does not take over
    /// the process's Ctrl-C and SIGTERM; whoever embeds it stops it.
    /// </param>
    /// <param name="services">
    /// Services registered before the node's own, for a program or a test that supplies its own
    /// implementation of one (an <see cref="Capabilities.IHostResolver"/>, say).
    /// </param>
    public static IHost Build(string[] args, IEnumerable<KeyValuePair<string, string?>>? overrides = null, bool embedded = false, Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        // Quiet defaults for the NATS client's connection chatter; any source can override them.
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = [new("Logging:LogLevel:Default", "Information"), new("Logging:LogLevel:NATS", "Warning"), new("Logging:LogLevel:Microsoft.Hosting", "Warning")],
        });
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        services?.Invoke(builder.Services);
        AddNode(builder.Services, builder.Configuration);
        if (embedded)
        {
            builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        }

        return builder.Build();
    }

    /// <summary>
    /// What anything that checks tokens needs, a node or the secrets service: settings, NATS, the
    /// token verifier and its cache, and the revocation list (fail-closed, as on a node).
    /// </summary>
    public static IServiceCollection AddTrust(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<NodeOptions>().Bind(configuration.GetSection(NodeOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<NodeOptions>, NodeOptionsValidator>();
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<INatsConnection>(sp =>
        {
            var node = sp.GetRequiredService<IOptions<NodeOptions>>().Value;
            return new NatsConnection(Mesh.Client.HostNatsOpts.For(node.Nats.Url, node.Nats.Name, node.Nats.InboxPrefix, sp.GetRequiredService<ILoggerFactory>()) with
            {
                ReconnectWaitMin = node.Nats.ReconnectWait,
                ReconnectWaitMax = node.Nats.ReconnectWaitMax,
            });
        });
        services.AddSingleton(sp => new TokenVerifier(sp.GetRequiredService<IOptions<NodeOptions>>().Value.Tokens, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new VerifiedTokenCache(
            sp.GetRequiredService<TokenVerifier>(),
            sp.GetRequiredService<IOptions<NodeOptions>>().Value.TokenCache,
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<Revocation.RevocationList>();
        services.AddHostedService(sp => sp.GetRequiredService<Revocation.RevocationList>());
        return services;
    }

    public static IServiceCollection AddNode(IServiceCollection services, IConfiguration configuration)
    {
        AddTrust(services, configuration);

        // Each capability is registered once, and once more as what guests can import.
        services.AddSingleton<LogCapability>();
        services.AddSingleton<MessagingCapability>();
        services.AddSingleton<KvCapability>();
        services.AddSingleton<HttpCapability>();
        services.AddSingleton<ICapability, InvocationIo>();
        services.AddSingleton<ICapability, HttpTriggerIo>();
        services.AddSingleton<ICapability>(sp => sp.GetRequiredService<LogCapability>());
        services.AddSingleton<ICapability>(sp => sp.GetRequiredService<MessagingCapability>());
        services.AddSingleton<ICapability>(sp => sp.GetRequiredService<KvCapability>());
        services.AddSingleton<ICapability>(sp => sp.GetRequiredService<HttpCapability>());
        services.AddSingleton<ICapability, Wasi.WasiPreview1>();
        services.TryAddSingleton<IHostResolver, SystemHostResolver>();
        services.AddSingleton<HostCallTable>();
        services.AddSingleton<WasmEngine>();
        services.AddSingleton<Invoker>();
        services.AddSingleton<ModuleStore>();
        services.AddSingleton<ModuleCache>();
        services.AddSingleton<NodeStats>();
        services.AddSingleton<InvocationPipeline>();
        services.AddSingleton<InvocationRunner>();
        services.AddSingleton<NextSteps>();
        services.AddSingleton<HopTokens>();
        services.AddSingleton<NodeTelemetry>();
        services.AddMetrics();
        services.AddSingleton<NodeMetrics>();
        services.AddSingleton<Secrets.SecretClient>();
        services.AddSingleton<ReplySubjects>();
        services.AddSingleton<PayloadLimit>();
        services.AddSingleton<InvocationSlots>();
        services.AddSingleton<NodeDrain>();
        // Registered before the services that run invocations, so it stops after they drained and
        // their last outcomes are published.
        services.AddSingleton<FunctionLogs.FunctionLogPublisher>();
        services.AddHostedService(sp => sp.GetRequiredService<FunctionLogs.FunctionLogPublisher>());
        services.AddSingleton<FunctionService>();
        services.AddHostedService(sp => sp.GetRequiredService<FunctionService>());
        services.AddHostedService<ServiceDiscovery>();
        services.AddHostedService<Health.ReadyFile>();
        services.AddHostedService<Jobs.JobService>();
        services.AddSingleton<Schedules.ServerClock>();
        services.AddHostedService(sp => sp.GetRequiredService<Schedules.ServerClock>());
        services.AddHostedService<Schedules.ScheduleService>();
        AddTracing(services, configuration);
        return services;
    }

    internal sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    // Spans leave the node only when an OTLP endpoint is configured (Mesh:Tracing:OtlpEndpoint or
    // the standard OTEL_EXPORTER_OTLP_ENDPOINT); otherwise nothing listens and none are built.
    private static void AddTracing(IServiceCollection services, IConfiguration configuration)
    {
        var tracing = configuration.GetSection(NodeOptions.Section).GetSection("Tracing").Get<TracingOptions>() ?? new TracingOptions();
        var endpoint = tracing.OtlpEndpoint ?? configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (string.IsNullOrWhiteSpace(endpoint) || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
        {
            // A malformed endpoint is refused at start by the options validator, with its name.
            return;
        }

        var http = tracing.Protocol == "http/protobuf";

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(tracing.ServiceName))
            .WithTracing(builder => builder
                .AddSource(NodeTelemetry.SourceName)
                .AddOtlpExporter(otlp => Configure(otlp, uri, http, "/v1/traces")))
            .WithMetrics(builder => builder
                .AddMeter(NodeMetrics.MeterName)
                .AddOtlpExporter(otlp => Configure(otlp, uri, http, "/v1/metrics")));

        static void Configure(OpenTelemetry.Exporter.OtlpExporterOptions otlp, Uri endpoint, bool http, string path)
        {
            // Set in code, the HTTP exporter posts to the endpoint as given: name the signal's path.
            otlp.Endpoint = http && endpoint.AbsolutePath == "/" ? new Uri(endpoint, path) : endpoint;
            otlp.Protocol = http ? OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf : OpenTelemetry.Exporter.OtlpExportProtocol.Grpc;
        }
    }
}
