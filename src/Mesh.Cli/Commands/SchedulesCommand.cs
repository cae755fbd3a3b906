using System.CommandLine;
using System.Globalization;
using Mesh.Cli.Deployment;
using Mesh.Cli.Output;
using Mesh.Client.Declarations;
using Mesh.Contracts.Triggers;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>mesh schedules</c>: the schedules deployed manifests declared, with when each runs next, the
/// last tick nodes handed on, and when its token expires.
/// </summary>
public static class SchedulesCommand
{
    private sealed record ScheduleRow(string App, string Function, string Cron, DateTimeOffset? Next, DateTimeOffset? LastTick, DateTimeOffset TokenExpires, string Input);

    public static Command Build(CliContext context)
    {
        var nats = new NatsOption(context);
        var output = new OutputOption();
        var command = new Command("schedules", "List deployed schedules: cron (UTC), next run, last tick run, token expiry");
        nats.AddTo(command);
        output.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            await using var connection = await nats.ConnectAsync(result, cancellationToken);
            var kv = new NatsKVContext(new NatsJSContext(connection));
            var rows = new List<ScheduleRow>();
            var schedules = await DeclarationBucket.OpenAsync(kv, TriggerBuckets.Schedules, cancellationToken);
            var ticks = await DeclarationBucket.OpenAsync(kv, TriggerBuckets.Ticks, cancellationToken);
            var now = context.Time.GetUtcNow();
            if (schedules is not null)
            {
                foreach (var key in await DeclarationBucket.KeysAsync(schedules, cancellationToken))
                {
                    if (await DeclarationBucket.GetAsync<ScheduleDeclaration>(schedules, key, cancellationToken) is not { } schedule || schedule.Problem() is not null)
                    {
                        continue;
                    }

                    DateTimeOffset? last = null;
                    if (ticks is not null && (await ticks.TryGetEntryAsync<string>(key, cancellationToken: cancellationToken)) is { Success: true } tick
                        && long.TryParse(tick.Value.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                    {
                        last = DateTimeOffset.FromUnixTimeSeconds(seconds);
                    }

                    rows.Add(new ScheduleRow(schedule.App, schedule.Function, schedule.Cron, ScheduleClock.Parse(schedule.Cron, out _)?.Next(now), last,
                        DateTimeOffset.FromUnixTimeSeconds(schedule.Expires), schedule.Input));
                }
            }

            rows.Sort((a, b) => string.CompareOrdinal(a.App + "." + a.Function, b.App + "." + b.Function));
            await output.WriteAsync(result, context.Out, rows, ["APP", "FUNCTION", "CRON (UTC)", "NEXT", "LAST TICK", "TOKEN UNTIL"], r =>
            [
                r.App, r.Function, r.Cron, Time(r.Next), Time(r.LastTick), Time(r.TokenExpires) + (r.TokenExpires <= now ? " (expired: deploy again)" : ""),
            ]);
            if (rows.Count == 0 && !output.IsJson(result))
            {
                await context.Error.WriteLineAsync("mesh: note: no schedules (a manifest declares one with schedule: \"CRON\"; mesh deploy -f writes it)");
            }

            return 0;
        });
        return command;
    }

    private static string Time(DateTimeOffset? time) => time?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-";
}
