using System.CommandLine;
using System.Globalization;
using System.Text.Json;
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
            var schedules = await OpenAsync(kv, TriggerBuckets.Schedules, cancellationToken);
            var ticks = await OpenAsync(kv, TriggerBuckets.Ticks, cancellationToken);
            var now = context.Time.GetUtcNow();
            if (schedules is not null)
            {
                await foreach (var key in KeysAsync(schedules, cancellationToken))
                {
                    var entry = await schedules.TryGetEntryAsync<byte[]>(key, cancellationToken: cancellationToken);
                    if (!entry.Success || Parse(entry.Value.Value) is not { } schedule)
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

    private static ScheduleDeclaration? Parse(byte[]? bytes)
    {
        try
        {
            return bytes is null ? null : JsonSerializer.Deserialize<ScheduleDeclaration>(bytes);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<INatsKVStore?> OpenAsync(NatsKVContext kv, string bucket, CancellationToken cancellationToken)
    {
        try
        {
            return await kv.GetStoreAsync(bucket, cancellationToken);
        }
        catch (Exception e) when (e is NatsKVException or NatsJSApiException)
        {
            return null;
        }
    }

    private static async IAsyncEnumerable<string> KeysAsync(INatsKVStore store, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        try
        {
            await foreach (var key in store.GetKeysAsync(cancellationToken: cancellationToken))
            {
                keys.Add(key);
            }
        }
        catch (NatsKVException)
        {
        }

        foreach (var key in keys)
        {
            yield return key;
        }
    }
}
