using System.CommandLine;
using NATS.Client.Core;

namespace Mesh.Cli.Commands;

/// <summary>The <c>--nats URL</c> every networked command takes, and the connection it makes.</summary>
public static class NatsOption
{
    public const string DefaultUrl = "nats://127.0.0.1:4222";

    public static Option<string> Create() => new("--nats") { Description = "NATS server URL", DefaultValueFactory = _ => DefaultUrl };

    public static async Task<NatsConnection> ConnectAsync(string url, CancellationToken cancellationToken)
    {
        var nats = new NatsConnection(new NatsOpts { Url = url, Name = "mesh-cli", RequestReplyMode = NatsRequestReplyMode.Direct });
        try
        {
            await nats.ConnectAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            return nats;
        }
        catch (Exception e) when (e is NatsException or TimeoutException)
        {
            await nats.DisposeAsync();
            throw new CliException("node.unavailable", $"cannot connect to NATS at {url}: {e.Message}");
        }
    }
}
