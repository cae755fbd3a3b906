using Mesh.Contracts.Triggers;
using Mesh.Node.Messaging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.Node.Schedules;

/// <summary>
/// The NATS server's clock as this node reads it, so that no one node's clock moves a schedule.
/// Every <see cref="ScheduleOptions.ClockCheck"/> the node writes the ticks bucket's
/// <see cref="TriggerBuckets.ClockKey"/> and reads back the time JetStream stamped on that write;
/// the stamp against the middle of the local round trip is the node's offset (within half the
/// round trip). Schedules run by <see cref="Now"/>: the local clock corrected by that offset. A
/// node whose offset is unknown, or older than three checks, proposes no tick. The skew is in
/// <c>$SRV.STATS</c> (<c>clock_skew_ms</c>) and logged when it is over <see cref="Tolerated"/>.
/// </summary>
public sealed class ServerClock(INatsConnection nats, TimeProvider time, NodeStats stats, IOptions<NodeOptions> options, ILogger<ServerClock> logger) : BackgroundService
{
    /// <summary>Skew said in the log (and by <c>mesh doctor</c>) as worth fixing: schedules are corrected for any skew; tokens tolerate 30 s.</summary>
    public static readonly TimeSpan Tolerated = TimeSpan.FromSeconds(1);

    private readonly TimeSpan _interval = options.Value.Schedules.ClockCheck;
    private readonly Lock _lock = new();
    private TimeSpan _offset;
    private long _measuredAt;
    private bool _said;

    /// <summary>The server's time now, or null while this node has no recent reading of it.</summary>
    public DateTimeOffset? Now
    {
        get
        {
            lock (_lock)
            {
                return _measuredAt != 0 && time.GetElapsedTime(_measuredAt) <= 3 * _interval ? time.GetUtcNow() + _offset : null;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await nats.ConnectAsync().AsTask().WaitAsync(stoppingToken);
        var kv = new NatsKVContext(new NatsJSContext(nats));
        while (!stoppingToken.IsCancellationRequested)
        {
            var read = await ReadAsync(kv, stoppingToken);
            try
            {
                // Soon again when it failed (no bucket yet, NATS away), else at the interval.
                await Task.Delay(read ? _interval : TimeSpan.FromSeconds(1), time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<bool> ReadAsync(NatsKVContext kv, CancellationToken stoppingToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        bounded.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            var store = await kv.GetStoreAsync(TriggerBuckets.Ticks, bounded.Token);
            var sent = time.GetUtcNow();
            var started = time.GetTimestamp();
            var revision = await store.PutAsync(TriggerBuckets.ClockKey, nats.Opts.Name, cancellationToken: bounded.Token);
            var roundTrip = time.GetElapsedTime(started);
            var entry = await store.GetEntryAsync<string>(TriggerBuckets.ClockKey, revision, cancellationToken: bounded.Token);
            var offset = entry.Created - (sent + (roundTrip / 2));
            lock (_lock)
            {
                _offset = offset;
                _measuredAt = time.GetTimestamp();
            }

            stats.ClockSkew(-offset);
            Say(-offset, roundTrip);
            return true;
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException && !stoppingToken.IsCancellationRequested)
        {
            // No ticks bucket before mesh deploy, NATS away, or another node's write took the
            // revision first: read again shortly.
            return false;
        }
    }

    private void Say(TimeSpan skew, TimeSpan roundTrip)
    {
        var over = skew.Duration() > Tolerated;
        if (over)
        {
            Log.ClockSkewed(logger, (long)skew.TotalMilliseconds, (long)roundTrip.TotalMilliseconds);
        }
        else if (_said)
        {
            Log.ClockInSync(logger, (long)skew.TotalMilliseconds);
        }

        _said = over;
    }
}
