using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Mesh.Cli.Output;
using Mesh.Node.Messaging;
using NATS.Client.Core;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>mesh nodes</c>: every node that answers <c>$SRV.STATS.mesh-node</c> within a second, with
/// whether it is ready, what it has in flight, the calls it served and its errors by code.
/// </summary>
public static class NodesCommand
{
    public static Command Build(CliContext context)
    {
        var nats = new NatsOption(context);
        var output = new OutputOption();
        var command = new Command("nodes", "List the nodes on this NATS: ready, in flight, calls, errors by code");
        nats.AddTo(command);
        output.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            await using var connection = await nats.ConnectAsync(result, cancellationToken);
            var nodes = new List<NodeRow>();
            var replies = connection.RequestManyAsync<byte[], byte[]>(
                $"$SRV.STATS.{ServiceDiscovery.ServiceName}",
                [],
                replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(3), IdleTimeout = TimeSpan.FromMilliseconds(500), StartUpTimeout = TimeSpan.FromSeconds(1) },
                cancellationToken: cancellationToken);
            await foreach (var reply in replies)
            {
                if (Row(reply.Data) is { } row)
                {
                    nodes.Add(row);
                }
            }

            nodes.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
            await output.WriteAsync(result, context.Out, nodes, ["ID", "READY", "IN FLIGHT", "CALLS", "ERRORS", "AVG µs", "UP SINCE", "ERRORS BY CODE"], n =>
            [
                n.Id, n.Ready ? "yes" : "no", Text(n.InFlight), Text(n.Calls), Text(n.Errors), Text(n.AverageMicros),
                n.Started?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-",
                n.ErrorsByCode.Count == 0 ? "-" : string.Join(',', n.ErrorsByCode.Select(e => $"{e.Key}={e.Value}")),
            ]);
            if (nodes.Count == 0)
            {
                await context.Error.WriteLineAsync("mesh: note: no node answered within a second (is one running on this NATS, and may this user publish to $SRV.>?)");
            }

            return 0;
        });
        return command;
    }

    private static string Text(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>One node's stats answer; null when it is not one (anything may answer on $SRV).</summary>
    private static NodeRow? Row(byte[]? data)
    {
        try
        {
            var root = JsonDocument.Parse(data ?? []).RootElement;
            var endpoint = root.GetProperty("endpoints")[0];
            var stats = endpoint.GetProperty("data");
            var errors = stats.TryGetProperty("errors", out var byCode)
                ? byCode.EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetInt64(), StringComparer.Ordinal)
                : [];
            return new NodeRow(
                root.GetProperty("id").GetString() ?? "?",
                stats.TryGetProperty("ready", out var ready) && ready.GetBoolean(),
                stats.GetProperty("in_flight").GetInt64(),
                endpoint.GetProperty("num_requests").GetInt64(),
                endpoint.GetProperty("num_errors").GetInt64(),
                stats.GetProperty("average_invocation_us").GetInt64(),
                root.TryGetProperty("started", out var started) && started.TryGetDateTimeOffset(out var at) ? at : null,
                errors);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException or FormatException)
        {
            return null;
        }
    }

    private sealed record NodeRow(string Id, bool Ready, long InFlight, long Calls, long Errors, long AverageMicros, DateTimeOffset? Started, Dictionary<string, long> ErrorsByCode);
}
