using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Mesh.Client.Declarations;
using Mesh.Contracts.Triggers;
using Mesh.Contracts.Wire;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.Node.Schedules;

/// <summary>
/// Runs the schedules manifests declared, on every node at once, each tick once. At a tick every
/// node proposes the same tick on <c>mesh.tick.FUNCTION</c>, with the message id
/// <c>schedule:APP.FUNCTION:TICK</c>: JetStream's duplicate window keeps one, and the tick stream
/// gives it to one node. Ticks have a stream of their own, on a subject only nodes may publish,
/// because message ids are de-duplicated per stream: a caller who could publish under a tick's
/// (predictable) id would make the node's own tick the duplicate and stop the schedule. The last tick
/// handed on is recorded (compare-and-set) in <see cref="TriggerBuckets.Ticks"/>, so a node that
/// starts, or NATS that comes back, proposes only what is due and not yet handed on: the latest
/// missed tick runs once, earlier ones are skipped. A node holds no schedule of its own; it reads
/// them, with their tokens, from the bucket an operator's deploy writes. Ticks fall by the NATS
/// server's clock (<see cref="ServerClock"/>), so one node's skewed clock neither runs a tick
/// early nor, by recording a tick ahead of time, holds the others back.
/// </summary>
public sealed class ScheduleService(INatsConnection nats, ServerClock clock, IOptions<NodeOptions> options, TimeProvider time, ILogger<ScheduleService> logger) : BackgroundService
{
    private readonly ScheduleOptions _options = options.Value.Schedules;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _handedOn = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _expiredSaid = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ScheduleClock?> _clocks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _invalidSaid = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _changed = new(0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            return;
        }

        var feed = new DeclarationFeed<ScheduleDeclaration>(nats, TriggerBuckets.Schedules, logger, _options.Resync, time);
        feed.Changed += _ => _changed.Release();
        var reading = feed.RunAsync(stoppingToken);
        var js = new NatsJSContext(nats);
        var kv = new NatsKVContext(js);
        INatsKVStore? ticks = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // The server's time, not this node's: a node whose clock is off must move no tick.
                if (clock.Now is not { } now)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
                    continue;
                }

                DateTimeOffset? wake = null;
                foreach (var (key, schedule) in feed.Current)
                {
                    // Parsed once per expression, not on every wake.
                    var clock = _clocks.GetOrAdd(schedule.Cron, cron => ScheduleClock.Parse(cron, out _));
                    if ((clock is null ? "its cron expression does not parse" : schedule.Problem()) is { } problem)
                    {
                        if (_invalidSaid.TryAdd(key, 0))
                        {
                            Log.ScheduleNotHandedOn(logger, key, "-", $"skipped: {problem}");
                        }

                        continue;
                    }

                    var after = _handedOn.TryGetValue(key, out var last) && last.ToUnixTimeSeconds() >= schedule.Since
                        ? last
                        : DateTimeOffset.FromUnixTimeSeconds(schedule.Since);
                    if (clock!.LatestDue(after, now) is { } due)
                    {
                        ticks ??= await OpenTicksAsync(kv, stoppingToken);
                        if (ticks is not null && await HandOnAsync(js, ticks, key, schedule, due, now, stoppingToken))
                        {
                            _handedOn[key] = due;
                        }
                        else
                        {
                            // Not handed on (NATS away, no bucket): try again soon.
                            wake = Earliest(wake, now + TimeSpan.FromSeconds(1));
                        }
                    }

                    wake = Earliest(wake, clock!.Next(now));
                }

                var wait = (wake ?? now + _options.Resync) - (clock.Now ?? now);
                await _changed.WaitAsync(wait < TimeSpan.Zero ? TimeSpan.Zero : wait > _options.Resync ? _options.Resync : wait, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await reading.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a < b ? a : b;

    private async Task<INatsKVStore?> OpenTicksAsync(NatsKVContext kv, CancellationToken stoppingToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        bounded.CancelAfter(_options.HandOnTimeout);
        try
        {
            return await kv.GetStoreAsync(TriggerBuckets.Ticks, bounded.Token);
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException && !stoppingToken.IsCancellationRequested)
        {
            Log.ScheduleNotHandedOn(logger, TriggerBuckets.Ticks, "-", $"cannot open the ticks bucket (mesh deploy makes it): {e.Message}");
            return null;
        }
    }

    // Proposes tick `due` unless the record says it (or a later one) was handed on; true once it is.
    private async Task<bool> HandOnAsync(NatsJSContext js, INatsKVStore ticks, string key, ScheduleDeclaration schedule, DateTimeOffset due, DateTimeOffset now, CancellationToken stoppingToken)
    {
        var tick = due.ToUnixTimeSeconds();
        if (schedule.Expires <= now.ToUnixTimeSeconds())
        {
            if (_expiredSaid.TryAdd(key, 0))
            {
                Log.ScheduleTokenExpired(logger, key, DateTimeOffset.FromUnixTimeSeconds(schedule.Expires));
            }

            return true;
        }

        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        bounded.CancelAfter(_options.HandOnTimeout);
        try
        {
            var recorded = await ticks.TryGetEntryAsync<string>(key, cancellationToken: bounded.Token);
            var revision = recorded.Success ? recorded.Value.Revision : 0UL;
            if (recorded.Success && long.TryParse(recorded.Value.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var last) && last >= tick)
            {
                return true;
            }

            var headers = new NatsHeaders { [MeshHeaders.Token] = schedule.Token };
            var ack = await js.PublishAsync(
                JobSubjects.TickPrefix + schedule.Function,
                Encoding.UTF8.GetBytes(schedule.Input),
                headers: headers,
                opts: new NatsJSPubOpts { MsgId = ScheduleDeclaration.MessageId(schedule.App, schedule.Function, tick) },
                cancellationToken: bounded.Token);
            if (!ack.Duplicate)
            {
                // A duplicate is the expected answer for all but the first node to propose a tick.
                ack.EnsureSuccess();
            }
            try
            {
                var text = tick.ToString(CultureInfo.InvariantCulture);
                await (revision == 0 ? ticks.CreateAsync(key, text, cancellationToken: bounded.Token) : ticks.UpdateAsync(key, text, revision, cancellationToken: bounded.Token));
            }
            catch (NatsKVWrongLastRevisionException)
            {
                // Another node recorded it first: the same tick, or a later one.
            }
            catch (NatsKVCreateException)
            {
            }

            if (!ack.Duplicate)
            {
                Log.ScheduleTick(logger, key, due);
            }

            return true;
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException && !stoppingToken.IsCancellationRequested)
        {
            Log.ScheduleNotHandedOn(logger, key, due.ToString("u", CultureInfo.InvariantCulture), e.Message);
            return false;
        }
    }
}
