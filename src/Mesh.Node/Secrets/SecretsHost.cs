using Mesh.Contracts.Keys;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Node.Secrets;

/// <summary>
/// Builds the secrets service: the same settings, NATS connection, token verification and
/// revocation list as a node (<see cref="NodeHost.AddTrust"/>), its sealing key, and
/// <see cref="SecretService"/>. No functions run in it.
/// </summary>
public static class SecretsHost
{
    /// <summary>The sealing key the settings name, or null with why not.</summary>
    public static SealingKey? Key(SecretsOptions options, out string problem)
    {
        string text;
        if (options.Key is { Length: > 0 } inline)
        {
            text = inline;
        }
        else if (options.KeyFile is { Length: > 0 } file)
        {
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problem = $"cannot read the sealing key '{file}': {e.Message}";
                return null;
            }
        }
        else
        {
            problem = "the secrets service needs its sealing key: Mesh:Secrets:KeyFile (or Key), an SX... seed (mesh secrets init)";
            return null;
        }

        return SealingKey.TryFromSeedText(text, out var key, out problem) ? key : null;
    }

    /// <param name="embedded">True inside a larger program (<c>mesh up</c>): Ctrl-C and SIGTERM stay that program's.</param>
    /// <param name="services">Services registered first, for a test that supplies its own (a log sink, say).</param>
    public static IHost Build(IEnumerable<KeyValuePair<string, string?>> overrides, bool embedded = false, Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = [new("Logging:LogLevel:Default", "Information"), new("Logging:LogLevel:NATS", "Warning"), new("Logging:LogLevel:Microsoft.Hosting", "Warning")],
        });
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddInMemoryCollection(overrides);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        services?.Invoke(builder.Services);
        NodeHost.AddTrust(builder.Services, builder.Configuration);
        builder.Services.AddSingleton(sp => Key(sp.GetRequiredService<IOptions<NodeOptions>>().Value.Secrets, out var problem) ?? throw new OptionsValidationException("Mesh:Secrets", typeof(SecretsOptions), [problem]));
        builder.Services.AddSingleton<SecretService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SecretService>());
        if (embedded)
        {
            builder.Services.AddSingleton<IHostLifetime, NodeHost.EmbeddedLifetime>();
        }

        return builder.Build();
    }
}
