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
/// What this node knows is revoked, kept current by watching the revocation bucket: a revocation
/// reaches every node as soon as NATS delivers it, drops the token's cached verifications, and is
/// checked on every message. The node serves only after it has read the whole bucket once, and it
/// fails closed: when it cannot confirm the bucket is there for longer than the grace period,
/// every call is refused with <c>node.revocation_unknown</c> until it can.
/// </summary>
public sealed class RevocationList(
    INatsConnection nats,
    VerifiedTokenCache cache,
    TimeProvider time,
    IOptions<NodeOptions> options,
    ILogger<RevocationList> logger) : BackgroundService
{
    private readonly RevocationOptions _options = options.Value.Revocation;
    private readonly ConcurrentDictionary<string, byte> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _issuers = new(StringComparer.Ordinal);

    // What Check reads on every message: a snapshot, so the hot path neither locks nor allocates.
    private volatile byte[][] _revokedIssuers = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _confirmed;

    /// <summary>Completes once the whole bucket has been read: from then on the node may serve.</summary>
    public Task Synced => _synced.Task;

    public bool IsRevoked(string tokenId) => _tokens.ContainsKey(tokenId);

    /// <summary>Whether the node has read the bucket and seen it within the grace period: if not, it refuses calls.</summary>
    public bool IsCurrent => _synced.Task.IsCompleted
        && time.GetUtcNow().ToUnixTimeMilliseconds() - Interlocked.Read(ref _confirmed) <= _options.GracePeriod.TotalMilliseconds;

    /// <summary>Null when the token may be used; else why not.</summary>
    public MeshError? Check(VerifiedToken token)
    {
        if (!IsCurrent)
        {
            var silent = (time.GetUtcNow().ToUnixTimeMilliseconds() - Interlocked.Read(ref _confirmed)) / 1000;
            return new MeshError(ErrorCode.NodeRevocationUnknown, $"this node has not seen the revocation feed for {silent} s; it refuses calls until it does");
        }

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
        var kv = new NatsKVContext(new NatsJSContext(nats));
        var store = await OpenAsync(kv, create: true, stoppingToken);
        var confirming = ConfirmAsync(kv, stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await WatchAsync(store, stoppingToken);
            }
            catch (Exception e) when (e is NatsException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                Log.RevocationFeedLost(logger, _options.Bucket, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
                store = await OpenAsync(kv, create: false, stoppingToken);
            }
        }

        await confirming;
    }

    private async Task WatchAsync(INatsKVStore store, CancellationToken stoppingToken)
    {
        var opts = new NatsKVWatchOpts
        {
            OnNoData = _ =>
            {
                Synchronised();
                return ValueTask.FromResult(false);
            },
        };
        await foreach (var entry in store.WatchAsync<string>(opts: opts, cancellationToken: stoppingToken))
        {
            Apply(entry.Key, entry.Operation == NatsKVOperation.Put);
            if (entry.Delta == 0)
            {
                Synchronised();
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
                cache.Remove(tokenId);
                Log.Revoked(logger, "token", tokenId);
            }
            else if (!revoked && _tokens.TryRemove(tokenId, out _))
            {
                Log.RevocationLifted(logger, "token", tokenId);
            }
        }
        else if (key.StartsWith(RevocationKeys.IssuerPrefix, StringComparison.Ordinal))
        {
            var issuer = key[RevocationKeys.IssuerPrefix.Length..];
            if (!KeyText.TryDecodePublic(issuer, out var raw, out _))
            {
                Log.RevocationIgnored(logger, key);
                return;
            }

            if (revoked && _issuers.TryAdd(issuer, raw))
            {
                _revokedIssuers = [.. _issuers.Values];
                Log.Revoked(logger, "issuer", issuer);
            }
            else if (!revoked && _issuers.TryRemove(issuer, out _))
            {
                _revokedIssuers = [.. _issuers.Values];
                Log.RevocationLifted(logger, "issuer", issuer);
            }
        }
        else
        {
            Log.RevocationIgnored(logger, key);
        }
    }

    private void Synchronised()
    {
        if (_synced.TrySetResult())
        {
            Interlocked.Exchange(ref _confirmed, time.GetUtcNow().ToUnixTimeMilliseconds());
            Log.RevocationsLoaded(logger, _tokens.Count, _issuers.Count, _options.Bucket);
        }
    }

    // The bucket is made on a node's first start if nobody made it. Afterwards it is only opened:
    // recreating a deleted bucket would lift every revocation in it, so a node that loses it
    // fails closed instead.
    private async Task<INatsKVStore> OpenAsync(NatsKVContext kv, bool create, CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                try
                {
                    return await kv.GetStoreAsync(_options.Bucket, stoppingToken);
                }
                catch (NatsJSApiException e) when (create && e.Error.Code == 404)
                {
                    return await kv.CreateStoreAsync(new NatsKVConfig(_options.Bucket) { History = 1 }, stoppingToken);
                }
            }
            catch (Exception e) when (e is NatsException && !stoppingToken.IsCancellationRequested)
            {
                // NATS or JetStream not there yet (starting, electing a leader): the node waits, not serving.
                Log.RevocationFeedLost(logger, _options.Bucket, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
            }
        }
    }

    // The feed counts as seen while the bucket answers; watching alone cannot tell a quiet bucket
    // from a lost one.
    private async Task ConfirmAsync(NatsKVContext kv, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.CheckInterval, time, stoppingToken);
                var store = await kv.GetStoreAsync(_options.Bucket, stoppingToken);
                await store.GetStatusAsync(stoppingToken);
                if (_synced.Task.IsCompleted)
                {
                    Interlocked.Exchange(ref _confirmed, time.GetUtcNow().ToUnixTimeMilliseconds());
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (NatsException e)
            {
                Log.RevocationFeedLost(logger, _options.Bucket, e.Message);
            }
        }
    }
}
