using System.CommandLine;
using System.Globalization;
using Mesh.Cli.Output;
using Mesh.Client;

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
            var nodes = await NodeReport.GatherAsync(connection, cancellationToken);
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
}
