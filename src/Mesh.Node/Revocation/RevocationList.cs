using System.Collections.Concurrent;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Tokens;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.Node.Revocation;

/// <summary>
/// What this node knows is revoked, kept current by watching the revocation bucket, and how current
/// that knowledge is (<see cref="RevocationFreshness"/>). Every <c>CheckInterval</c> the node asks
/// a replica of the bucket, by direct get, for the entries past what it applied, and applies them
/// itself when its watch has not; once none is left, the node knows every revocation made before it
/// asked. A call starts only while that is at most <see cref="RevocationPromise.MaxStaleness"/> old;
/// otherwise it waits for the next confirmation, and past the grace period it is refused with
/// <c>node.revocation_unknown</c>. A reconnection or a bucket replaced by another of the same name
/// starts a fresh read of the whole bucket, which is then the truth (a lifted revocation lifts).
/// A node never creates the bucket: a missing one would be an empty one, lifting every revocation,
/// so until an operator creates it (<c>mesh deploy</c>, <c>mesh token revoke</c>) the node refuses.
/// </summary>
public sealed class RevocationList : BackgroundService
{
    // Confirmations in a row that find the watch behind before it is resumed (without direct gets:
    // before the bucket is read afresh): entries in flight arrive within milliseconds, a stalled
    // watch never does.
    private const int BehindLimit = 3;

    // How long opening the bucket may take before the node tries again. Short: a request made
    // while the connection was down can hang after it is back, and calls wait meanwhile.
    private static readonly TimeSpan OpenTimeout = RevocationPromise.MaxStaleness;

    private readonly INatsConnection _nats;
    private readonly VerifiedTokenCache _cache;
    private readonly TimeProvider _time;
    private readonly ILogger<RevocationList> _logger;
    private readonly RevocationOptions _options;
    private readonly RevocationFreshness _freshness;
    private readonly ConcurrentDictionary<string, byte> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _issuers = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _wake = new(0, 1);

    // What Check reads on every message: a snapshot, so the hot path neither locks nor allocates.
    private volatile byte[][] _revokedIssuers = [];
    private int _reconnected;
    private int _missing;

    public RevocationList(INatsConnection nats, VerifiedTokenCache cache, TimeProvider time, IOptions<NodeOptions> options, ILogger<RevocationList> logger)
    {
        _nats = nats;
        _cache = cache;
        _time = time;
        _logger = logger;
        _options = options.Value.Revocation;
        _freshness = new RevocationFreshness(time, _options.GracePeriod, Wake);
    }

    /// <summary>Completes once the whole bucket has been read: from then on the node may serve.</summary>
    public Task Synced => _synced.Task;

    public bool IsRevoked(string tokenId) => _tokens.ContainsKey(tokenId);

    /// <summary>Whether the node has read the bucket and confirmed it within the grace period: if not, it refuses calls.</summary>
    public bool IsCurrent => _synced.Task.IsCompleted && !_freshness.IsFailingClosed;

    /// <summary>Whether the node holds every change made up to <see cref="RevocationPromise.MaxStaleness"/> ago.</summary>
    public bool IsFresh => _freshness.IsFresh;

    /// <summary>
    /// A secret was put or removed (<c>secret.NAME</c> changed, or was read again afresh): whoever
    /// keeps its value drops it. Raised on the watch's thread; handlers must be quick.
    /// </summary>
    public event Action<string>? SecretChanged;

    /// <summary>
    /// Null when the token may be used now; else why not. Waits while the node's copy is not fresh,
    /// within the grace period and <paramref name="within"/> (the caller's remaining budget, if any).
    /// </summary>
    public ValueTask<MeshError?> CheckAsync(VerifiedToken token, TimeSpan? within, CancellationToken cancellationToken) =>
        _freshness.IsFresh ? ValueTask.FromResult(Listed(token)) : WaitThenCheckAsync(token, within, cancellationToken);

    /// <summary>For a service starting up: true once the copy has been read and is fresh, false after <paramref name="limit"/>.</summary>
    public Task<bool> WaitFirstReadAsync(TimeSpan limit, CancellationToken cancellationToken) => _freshness.WaitFirstAsync(limit, cancellationToken);

    // A method of its own, not a local function: one capturing the parameters would allocate its
    // closure on every call, the fresh path too (56 B, measured).
    private async ValueTask<MeshError?> WaitThenCheckAsync(VerifiedToken token, TimeSpan? within, CancellationToken cancellationToken) =>
        await _freshness.WaitAsync(within, cancellationToken) ? Listed(token) : Unknown();

    private MeshError Unknown()
    {
        var staleness = _freshness.Staleness;
        return new MeshError(ErrorCode.NodeRevocationUnknown, staleness == TimeSpan.MaxValue
            ? $"this node has not read the revocation bucket {_options.Bucket}; it refuses calls until it does"
            : $"this node has not confirmed the revocation bucket {_options.Bucket} for {(long)staleness.TotalSeconds} s; it refuses calls until it does");
    }

    private MeshError? Listed(VerifiedToken token)
    {
        if (_tokens.ContainsKey(token.TokenId))
        {
            return new MeshError(ErrorCode.TokenRevoked, $"token {token.TokenId} is revoked");
        }

        foreach (var issuer in _revokedIssuers)
        {
            if (issuer.AsSpan().SequenceEqual(token.RootKey))
            {
                return new MeshError(ErrorCode.TokenRevoked, $"every token of issuer {KeyText.EncodePublic(issuer)} is revoked");
            }
        }

        return null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await _nats.ConnectAsync().AsTask().WaitAsync(stoppingToken);
        _nats.ConnectionOpened += OnReconnectedAsync;
        try
        {
            var js = new NatsJSContext(_nats);
            var kv = new NatsKVContext(js);
            while (!stoppingToken.IsCancellationRequested)
            {
                await FollowAsync(js, kv, stoppingToken);
            }
        }
        finally
        {
            _nats.ConnectionOpened -= OnReconnectedAsync;
        }
    }

    // One reading of the bucket: a watch from the start, confirmed until it must be read afresh.
    private async Task FollowAsync(NatsJSContext js, NatsKVContext kv, CancellationToken stoppingToken)
    {
        using var generation = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var watch = new WatchSlot(generation.Token);
        try
        {
            var asked = _time.GetTimestamp();
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            bounded.CancelAfter(OpenTimeout);
            var info = (await js.GetStreamAsync(StreamName, cancellationToken: bounded.Token)).Info;
            var created = info.Created;
            var direct = info.Config.AllowDirect;
            var store = await kv.GetStoreAsync(_options.Bucket, bounded.Token);
            Interlocked.Exchange(ref _missing, 0);
            Interlocked.Exchange(ref _reconnected, 0);
            var reading = new Reading();
            watch.Start(ct => WatchAsync(store, reading, asked, 0, ct));
            await ConfirmAsync(js, store, created, direct, reading, watch, stoppingToken);
            return;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            // Said once until it exists again: the node checks every interval.
            if (Interlocked.Exchange(ref _missing, 1) == 0)
            {
                Log.RevocationBucketMissing(_logger, _options.Bucket);
            }
        }
        catch (Exception e) when (e is NatsException or InvalidOperationException or TimeoutException or OperationCanceledException)
        {
            // NATS or JetStream not there (starting, reconnecting: a request while disconnected is
            // cancelled; electing a leader): calls wait, then are refused.
            Log.RevocationFeedLost(_logger, _options.Bucket, e.Message);
        }
        finally
        {
            await generation.CancelAsync();
            // Not awaited: ending a watch whose server-side consumer is gone can take the client
            // seconds, and the fresh read must not wait for it. A cancelled watch applies nothing.
            _ = watch.Running.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        await Task.Delay(_options.CheckInterval, _time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private string StreamName => "KV_" + _options.Bucket;

    // Returns when the bucket must be read afresh: reconnected, bucket replaced, or (a bucket
    // without direct gets) watch behind or ended. Each confirmation asks for the first entry past
    // what the node applied, by direct get, which any of the bucket's replicas answers, and applies
    // what it finds itself: neither a stream leader lost (9-15 s of election in a cluster, when the
    // leader answers nothing) nor a watch whose consumer went with it stops confirmations; the
    // watch is only the fast path, resumed where the node is when it lags. Whether the bucket was
    // replaced is asked of the leader beside that, without holding the confirmations up.
    private async Task ConfirmAsync(NatsJSContext js, INatsKVStore store, DateTimeOffset created, bool direct, Reading reading, WatchSlot watch, CancellationToken stoppingToken)
    {
        var behind = 0;
        var failed = 0;
        Task<bool>? replaced = null;
        var checks = 0;
        while (true)
        {
            await _wake.WaitAsync(_options.CheckInterval, stoppingToken);

            // A watch can take seconds to notice its connection came back, and its consumer may
            // have lived on a server that is gone. Without direct gets the bucket is read afresh
            // (which needs its leader); with them, the node catches up from where it is.
            var lapsed = Interlocked.Exchange(ref _reconnected, 0) == 1 || watch.Running.IsCompleted || behind >= BehindLimit;
            var catchesUp = direct && reading.Read;
            if (lapsed && !catchesUp)
            {
                Log.RevocationReread(_logger, _options.Bucket, "the connection to NATS was restored, or the watch ended or stayed behind");
                return;
            }

            if (lapsed)
            {
                // Confirmations keep the node fresh meanwhile: only the watch starts again.
                var from = Interlocked.Read(ref reading.Applied) + 1;
                Log.RevocationWatchResumed(_logger, _options.Bucket, from);
                watch.Start(ct => WatchAsync(store, reading, 0, from, ct));
                behind = 0;
            }

            if (replaced is { IsCompleted: true })
            {
                if (replaced.IsCompletedSuccessfully && replaced.Result)
                {
                    Log.RevocationReread(_logger, _options.Bucket, "the bucket was replaced by a new one");
                    return;
                }

                // A leader that does not answer (electing) says nothing either way: ask again later.
                _ = replaced.Exception;
                replaced = null;
            }

            if (replaced is null && checks++ % ReplacedEvery == 0)
            {
                replaced = ReplacedAsync(js, created, stoppingToken);
            }

            // An answer later than the promise's bound could not make the node fresh anyway; one
            // that hangs (a request sent as the connection dropped) must not delay a fresh read.
            var asked = _time.GetTimestamp();
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            bounded.CancelAfter(RevocationPromise.MaxStaleness);
            bool current;
            try
            {
                // Until the first pass is done, only the watch can tell what the bucket holds.
                current = catchesUp ? await CatchUpAsync(reading, bounded.Token) : !direct && await NothingPastAsync(js, reading, bounded.Token);
                failed = 0;
            }
            catch (BucketChangedException e)
            {
                Log.RevocationReread(_logger, _options.Bucket, e.Message);
                return;
            }
            catch (Exception e) when (e is NatsException or TimeoutException || (e is OperationCanceledException && !stoppingToken.IsCancellationRequested))
            {
                // Not confirmed this time: the node's knowledge ages, calls wait once it is stale.
                // Failing on and on (no replica answers) is worth a fresh read.
                if (++failed >= FailedLimit)
                {
                    throw;
                }

                continue;
            }

            if (current && reading.Read)
            {
                _freshness.Renew(asked);
            }

            // The watch lags when this confirmation had to apply what it had not (or, without
            // direct gets, found what it had not applied).
            behind = reading.Read && (reading.CaughtUp() || !current) ? behind + 1 : 0;
        }
    }

    // How often (in confirmations) the leader is asked whether the bucket is still the one read.
    private const int ReplacedEvery = 8;

    // Confirmations in a row that got no answer at all before the bucket is read afresh.
    private const int FailedLimit = 8;

    private async Task<bool> ReplacedAsync(NatsJSContext js, DateTimeOffset created, CancellationToken stoppingToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        bounded.CancelAfter(TimeSpan.FromSeconds(2));
        return (await js.GetStreamAsync(StreamName, cancellationToken: bounded.Token)).Info.Created != created;
    }

    // Applies, by direct get, every entry past what the node applied; true once none is left.
    // Bounded per confirmation: a long backlog is the watch's to deliver, the next check goes on.
    // First, the entry applied last must still be there as applied (or have given way to a newer
    // one of its key): otherwise the bucket was replaced or purged, and catching up past a
    // sequence of another bucket could miss what the new one holds below it.
    private async Task<bool> CatchUpAsync(Reading reading, CancellationToken cancellationToken)
    {
        var (applied, key, at) = reading.Last;
        if (applied > 0)
        {
            var last = await DirectGetAsync($"{{\"seq\":{applied}}}", cancellationToken);
            if (last is null)
            {
                // Gone: fine only when a newer entry of the same key took its place.
                if (await DirectGetAsync($"{{\"seq\":{applied + 1},\"next_by_subj\":\"{KeyPrefix}{key}\"}}", cancellationToken) is null)
                {
                    throw new BucketChangedException($"the entry it applied last ({applied}) is gone: the bucket was replaced or purged");
                }
            }
            else if (last.Value.Key != key || (at is { } known && last.Value.At is { } stamped && (known - stamped).Duration() > TimeSpan.FromMilliseconds(1)))
            {
                throw new BucketChangedException($"its entry {applied} is not the one it applied: the bucket was replaced");
            }
        }

        for (var i = 0; i < CatchUpLimit; i++)
        {
            if (await DirectGetAsync($"{{\"seq\":{Interlocked.Read(ref reading.Applied) + 1},\"next_by_subj\":\"{KeyPrefix}>\"}}", cancellationToken) is not { } entry)
            {
                return true;
            }

            ApplyAt(reading, entry.Sequence, entry.Key, !entry.Removed, entry.At, byWatch: false);
        }

        return false;
    }

    // One entry of the bucket by direct get, or null when there is none.
    private async Task<BucketEntry?> DirectGetAsync(string request, CancellationToken cancellationToken)
    {
        var reply = await _nats.RequestAsync<byte[], byte[]>($"$JS.API.DIRECT.GET.{StreamName}", System.Text.Encoding.ASCII.GetBytes(request), cancellationToken: cancellationToken);
        if (reply.Headers?.Code == 404)
        {
            return null;
        }

        if (reply.Headers is not { } headers
            || !headers.TryGetValue("Nats-Sequence", out var sequence)
            || !long.TryParse(sequence.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var found)
            || !headers.TryGetValue("Nats-Subject", out var subject)
            || !subject.ToString().StartsWith(KeyPrefix, StringComparison.Ordinal))
        {
            throw new NatsException($"the direct get of {StreamName} answered {reply.Headers?.Code} {reply.Headers?.MessageText}");
        }

        // A delete or purge marker lifts; anything else is a put.
        var removed = headers.TryGetValue("KV-Operation", out var operation) && operation.ToString() is "DEL" or "PURGE";
        var at = headers.TryGetValue("Nats-Time-Stamp", out var stamp) ? StoredTime.TryParse(stamp.ToString()) : null;
        return new BucketEntry(found, subject.ToString()[KeyPrefix.Length..], removed, at);
    }

    private readonly record struct BucketEntry(long Sequence, string Key, bool Removed, DateTimeOffset? At);

    private sealed class BucketChangedException(string message) : Exception(message);

    private const int CatchUpLimit = 64;

    private string KeyPrefix => $"$KV.{_options.Bucket}.";

    // A bucket made without direct gets (by hand, an older tool): whether its last revision, which
    // only its leader can tell, is one the watch applied.
    private async Task<bool> NothingPastAsync(NatsJSContext js, Reading reading, CancellationToken cancellationToken) =>
        (long)(await js.GetStreamAsync(StreamName, cancellationToken: cancellationToken)).Info.State.LastSeq <= Interlocked.Read(ref reading.Applied);

    // From the start (the first pass: a whole reading), or resumed from a revision.
    private async Task WatchAsync(INatsKVStore store, Reading reading, long asked, long resumeAt, CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Read()
        {
            if (!reading.Read)
            {
                reading.Read = true;
                FinishReading(seen, asked);
            }
        }

        var opts = new NatsKVWatchOpts
        {
            ResumeAtRevision = (ulong)resumeAt,
            OnNoData = _ =>
            {
                Read();
                return ValueTask.FromResult(false);
            },
        };
        try
        {
            await foreach (var entry in store.WatchAsync<string>(opts: opts, cancellationToken: cancellationToken))
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                ApplyAt(reading, (long)entry.Revision, entry.Key, entry.Operation == NatsKVOperation.Put, entry.Created, byWatch: true);
                if (!reading.Read)
                {
                    seen.Add(entry.Key);
                }

                if (entry.Delta == 0)
                {
                    Read();
                }
            }
        }
        catch (Exception e) when (e is NatsException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            Log.RevocationFeedLost(_logger, _options.Bucket, e.Message);
        }
    }

    // The whole bucket has been read: it is the truth, so what it no longer holds is lifted.
    private void FinishReading(HashSet<string> seen, long asked)
    {
        foreach (var token in _tokens.Keys.Where(t => !seen.Contains(RevocationKeys.Token(t))))
        {
            Apply(RevocationKeys.Token(token), revoked: false);
        }

        foreach (var issuer in _issuers.Keys.Where(i => !seen.Contains(RevocationKeys.Issuer(i))))
        {
            Apply(RevocationKeys.Issuer(issuer), revoked: false);
        }

        _freshness.Renew(asked);
        _synced.TrySetResult();
        Log.RevocationsLoaded(_logger, _tokens.Count, _issuers.Count, _options.Bucket);
    }

    // Entries apply in the bucket's order, each once, whichever of the watch and the confirmations
    // brings it first: one brought late (older than what was applied) would undo a newer one.
    private void ApplyAt(Reading reading, long sequence, string key, bool revoked, DateTimeOffset? at, bool byWatch)
    {
        lock (reading.Gate)
        {
            if (sequence <= Interlocked.Read(ref reading.Applied))
            {
                return;
            }

            Apply(key, revoked);
            reading.AppliedKey = key;
            reading.AppliedAt = at;
            Interlocked.Exchange(ref reading.Applied, sequence);
            if (!byWatch)
            {
                reading.MarkCaughtUp();
            }
        }
    }

    private void Apply(string key, bool revoked)
    {
        if (key.StartsWith(RevocationKeys.TokenPrefix, StringComparison.Ordinal))
        {
            var tokenId = key[RevocationKeys.TokenPrefix.Length..];
            if (revoked && _tokens.TryAdd(tokenId, 0))
            {
                _cache.Remove(tokenId);
                Log.Revoked(_logger, "token", tokenId);
            }
            else if (!revoked && _tokens.TryRemove(tokenId, out _))
            {
                Log.RevocationLifted(_logger, "token", tokenId);
            }
        }
        else if (key.StartsWith(RevocationKeys.IssuerPrefix, StringComparison.Ordinal))
        {
            var issuer = key[RevocationKeys.IssuerPrefix.Length..];
            if (!KeyText.TryDecodePublic(issuer, out var raw, out _))
            {
                Log.RevocationIgnored(_logger, key);
                return;
            }

            if (revoked && _issuers.TryAdd(issuer, raw))
            {
                _revokedIssuers = [.. _issuers.Values];
                Log.Revoked(_logger, "issuer", issuer);
            }
            else if (!revoked && _issuers.TryRemove(issuer, out _))
            {
                _revokedIssuers = [.. _issuers.Values];
                Log.RevocationLifted(_logger, "issuer", issuer);
            }
        }
        else if (key.StartsWith(RevocationKeys.SecretPrefix, StringComparison.Ordinal))
        {
            // Put or removed, read live or afresh: either way, copies released before are dropped.
            SecretChanged?.Invoke(key[RevocationKeys.SecretPrefix.Length..]);
        }
        else
        {
            Log.RevocationIgnored(_logger, key);
        }
    }

    // A watch can take seconds to notice its connection came back; a fresh read does not wait for it.
    private ValueTask OnReconnectedAsync(object? sender, NatsEventArgs args)
    {
        Interlocked.Exchange(ref _reconnected, 1);
        Wake();
        return ValueTask.CompletedTask;
    }

    // A call is waiting or the connection came back: confirm now rather than at the next interval.
    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken.
        }
    }

    // The watch of a reading now running: replacing it (it lagged or ended) stops the one before,
    // whose late entries would otherwise still arrive; all stop with the reading's generation.
    private sealed class WatchSlot(CancellationToken generation) : IDisposable
    {
        private CancellationTokenSource? _current;

        public Task Running { get; private set; } = Task.CompletedTask;

        public void Start(Func<CancellationToken, Task> watch)
        {
            Stop();
            _current = CancellationTokenSource.CreateLinkedTokenSource(generation);
            Running = watch(_current.Token);
        }

        public void Dispose() => Stop();

        private void Stop()
        {
            _ = Running.ContinueWith(_ => { }, TaskScheduler.Default);
            _current?.Cancel();
            _current?.Dispose();
            _current = null;
        }
    }

    // One reading of the bucket: what the node has applied of it, and whether its first pass is
    // done. Per reading, so a watch being replaced cannot vouch for the one replacing it.
    private sealed class Reading
    {
        public readonly Lock Gate = new();
        public long Applied;
        public string AppliedKey = "";
        public DateTimeOffset? AppliedAt;
        public volatile bool Read;

        /// <summary>The entry applied last: its sequence, key and the time the bucket stored it.</summary>
        public (long Sequence, string Key, DateTimeOffset? At) Last
        {
            get
            {
                lock (Gate)
                {
                    return (Applied, AppliedKey, AppliedAt);
                }
            }
        }
        private int _caughtUp;

        public void MarkCaughtUp() => Interlocked.Exchange(ref _caughtUp, 1);

        /// <summary>Whether a confirmation applied an entry the watch had not, since last asked.</summary>
        public bool CaughtUp() => Interlocked.Exchange(ref _caughtUp, 0) == 1;
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}
