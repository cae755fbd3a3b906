using System.Collections.Concurrent;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;

namespace Mesh.Node.Tokens;

/// <summary>
/// Verified tokens keyed by the SHA-256 of their exact bytes, so a repeated token costs a hash and a
/// lookup instead of an Ed25519 verification per block. The key covers every byte, including the
/// unsigned proof, so a token altered anywhere is a miss and is verified afresh. Only successes are
/// cached (caching failures would let garbage fill memory); entries leave at expiry and the count
/// never exceeds the capacity.
/// </summary>
public sealed class VerifiedTokenCache
{
    private readonly ConcurrentDictionary<Sha256Digest, VerifiedToken> _entries = new();
    private readonly TokenVerifier _verifier;
    private readonly TimeProvider _time;
    private readonly int _capacity;
    private readonly Lock _trimLock = new();

    public VerifiedTokenCache(TokenVerifier verifier, VerifiedTokenCacheOptions options, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Capacity, 1, nameof(options.Capacity));
        _verifier = verifier;
        _time = time;
        _capacity = options.Capacity;
    }

    public int Count => _entries.Count;

    /// <summary>Verifies (or finds the verification of) a token, then authorizes it for this message.</summary>
    public Result<Grant> Authorize(ReadOnlyMemory<byte> token, string function, Sha256Digest? module)
    {
        var verified = Verify(token);
        return verified.IsOk ? _verifier.Authorize(verified.Value, function, module) : verified.Error;
    }

    /// <summary>This message's checks (time, audience, module) on a token verified before.</summary>
    public Result<Grant> Authorize(VerifiedToken token, string function, Sha256Digest? module) =>
        _verifier.Authorize(token, function, module);

    private long _hits;
    private long _misses;

    /// <summary>Verifications answered from the cache, and those that checked signatures (for metrics).</summary>
    public (long Hits, long Misses) Lookups => (Interlocked.Read(ref _hits), Interlocked.Read(ref _misses));

    public Result<VerifiedToken> Verify(ReadOnlyMemory<byte> token)
    {
        if (token.IsEmpty || token.Length > _verifier.Options.MaxTokenBytes)
        {
            return _verifier.Verify(token);
        }

        var key = Sha256Digest.Of(token.Span);
        if (_entries.TryGetValue(key, out var cached))
        {
            if (!IsExpired(cached))
            {
                Interlocked.Increment(ref _hits);
                return Result<VerifiedToken>.Ok(cached);
            }

            _entries.TryRemove(key, out _);
        }

        Interlocked.Increment(ref _misses);

        var verified = _verifier.Verify(token);
        if (verified.IsOk && !IsExpired(verified.Value))
        {
            if (_entries.Count >= _capacity)
            {
                Trim();
            }

            _entries[key] = verified.Value;
        }

        return verified;
    }

    /// <summary>Drops every entry of a token id (revocation).</summary>
    public void Remove(string tokenId)
    {
        foreach (var entry in _entries)
        {
            if (entry.Value.TokenId == tokenId)
            {
                _entries.TryRemove(entry.Key, out _);
            }
        }
    }

    private bool IsExpired(VerifiedToken token) =>
        _time.GetUtcNow().ToUnixTimeSeconds() >= token.Expires + (long)_verifier.Options.ClockSkew.TotalSeconds;

    // Expired entries go first; if the cache is still full, an arbitrary tenth goes too. Cheap and
    // bounded: a miss costs a verification, never unbounded memory.
    private void Trim()
    {
        lock (_trimLock)
        {
            if (_entries.Count < _capacity)
            {
                return;
            }

            foreach (var entry in _entries)
            {
                if (IsExpired(entry.Value))
                {
                    _entries.TryRemove(entry.Key, out _);
                }
            }

            var excess = _entries.Count - (_capacity - Math.Max(1, _capacity / 10));
            foreach (var key in _entries.Keys.Take(Math.Max(0, excess)))
            {
                _entries.TryRemove(key, out _);
            }
        }
    }
}
