using System.Collections.Concurrent;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;

namespace Mesh.Node.Tokens;

/// <summary>
/// Verified tokens keyed by the SHA-256 of their exact bytes, so a repeated token costs a hash and a
/// lookup instead of an Ed25519 verification per block. The key covers every byte, including the
/// unsigned proof, so a token altered anywhere is a miss and is verified afresh. Entries leave at
/// expiry and the count never exceeds the capacity. Refusals are remembered too, for a short while
/// and in a bounded number, so a flood of one bad token costs a lookup per message rather than a
/// verification; a token that is not valid yet is never remembered as refused (it will be), and
/// one that has expired is (it stays expired).
/// </summary>
public sealed class VerifiedTokenCache
{
    private readonly ConcurrentDictionary<Sha256Digest, VerifiedToken> _entries = new();
    private readonly ConcurrentDictionary<Sha256Digest, (MeshError Error, long Until)> _refused = new();

    // Header text's SHA-256 -> the token bytes' SHA-256: a token seen before is found by its text,
    // without decoding it (which cost two allocations per message). Only an index: what a token
    // may do is still read from the entries, so a revocation or expiry holds at once.
    private readonly ConcurrentDictionary<string, Sha256Digest> _byText = new(StringComparer.Ordinal);
    private readonly TokenVerifier _verifier;
    private readonly TimeProvider _time;
    private readonly int _capacity;
    private readonly int _refusalCapacity;
    private readonly long _refusalLifetimeMs;
    private readonly Lock _trimLock = new();

    public VerifiedTokenCache(TokenVerifier verifier, VerifiedTokenCacheOptions options, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Capacity, 1, nameof(options.Capacity));
        _verifier = verifier;
        _time = time;
        _capacity = options.Capacity;
        _refusalCapacity = Math.Max(0, options.RefusalCapacity);
        _refusalLifetimeMs = (long)options.RefusalLifetime.TotalMilliseconds;
        _maxTextLength = System.Buffers.Text.Base64Url.GetEncodedLength(verifier.Options.MaxTokenBytes);
    }

    private readonly int _maxTextLength;

    public int Count => _entries.Count;

    public int RefusalCount => _refused.Count;

    public int MaxTokenBytes => _verifier.Options.MaxTokenBytes;

    /// <summary>
    /// What the caches already know of these bytes, without verifying anything: a verification
    /// (<see cref="TokenLook.Verified"/>), a recent refusal (<see cref="TokenLook.Refusal"/>), or
    /// neither. Costs a SHA-256 of the token and two lookups.
    /// </summary>
    public TokenLook Look(ReadOnlyMemory<byte> token)
    {
        if (token.IsEmpty || token.Length > MaxTokenBytes)
        {
            // Refused by the verifier before any signature: as cheap as a lookup.
            var verdict = _verifier.Verify(token);
            return verdict.IsOk ? TokenLook.Known(verdict.Value) : TokenLook.Refused(verdict.Error);
        }

        var key = Sha256Digest.Of(token.Span);
        return Cached(key) ?? TokenLook.Unknown(token, key);
    }

    // What the caches hold for a key: a live verification, a recent refusal, or nothing.
    private TokenLook? Cached(Sha256Digest key)
    {
        if (_entries.TryGetValue(key, out var cached) && !IsExpired(cached))
        {
            Interlocked.Increment(ref _hits);
            return TokenLook.Known(cached, key);
        }

        if (_refused.TryGetValue(key, out var refused) && refused.Until > _time.GetUtcNow().ToUnixTimeMilliseconds())
        {
            Interlocked.Increment(ref _hits);
            return TokenLook.Refused(refused.Error, key);
        }

        return null;
    }

    /// <summary>
    /// A <c>Mesh-Token</c> header's text: found by the text itself when this node has seen it (no
    /// decoding, no SHA-256: the index compares whole texts, and .NET's string hashing turns
    /// randomized when keys collide, so crafted texts cannot crowd one bucket), else decoded and
    /// looked up by its bytes (<see cref="Look"/>).
    /// </summary>
    public TokenLook LookText(string? text)
    {
        if (text is null || text.Length == 0 || text.Length > _maxTextLength || char.IsWhiteSpace(text[0]) || char.IsWhiteSpace(text[^1]) || !System.Text.Ascii.IsValid(text))
        {
            // Missing, oversized, padded or non-ASCII text: the decoder says what is wrong with it, as before.
            return LookDecoded(text);
        }

        if (_byText.TryGetValue(text, out var key) && Cached(key) is { } known)
        {
            return known;
        }

        var look = LookDecoded(text);
        if (look.HasKey)
        {
            if (_byText.Count >= _capacity + _refusalCapacity)
            {
                // Bounded like the caches it indexes; rebuilt from the next messages.
                _byText.Clear();
            }

            _byText[text] = look.Key;
        }

        return look;
    }

    private TokenLook LookDecoded(string? text)
    {
        var bytes = TokenCodec.FromText(text, MaxTokenBytes);
        return bytes.IsOk ? Look(bytes.Value) : TokenLook.Refused(bytes.Error);
    }

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

    public Result<VerifiedToken> Verify(ReadOnlyMemory<byte> token) => Verify(token, null);

    /// <summary>The verified token a look found, or the verification of one it did not know; its refusal, if it was refused.</summary>
    public Result<VerifiedToken> Verify(TokenLook look) =>
        look.Refusal is { } refusal ? Result<VerifiedToken>.Fail(refusal.Code, refusal.Message)
        : look.Verified is { } known ? Result<VerifiedToken>.Ok(known)
        : Verify(look.Bytes, look.HasKey ? look.Key : null);

    /// <summary>Verifies, or finds the verification or a recent refusal of, a token whose key <see cref="Look"/> computed.</summary>
    public Result<VerifiedToken> Verify(ReadOnlyMemory<byte> token, Sha256Digest? knownKey)
    {
        if (token.IsEmpty || token.Length > _verifier.Options.MaxTokenBytes)
        {
            return _verifier.Verify(token);
        }

        var key = knownKey ?? Sha256Digest.Of(token.Span);
        if (_refused.TryGetValue(key, out var refused) && refused.Until > _time.GetUtcNow().ToUnixTimeMilliseconds())
        {
            return refused.Error;
        }

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
        else if (verified.IsOk && _refusalCapacity > 0)
        {
            // Genuine but expired, and it stays expired: remembered like a refusal, so a flood of
            // it is refused on sight instead of each message taking a queue place to learn it.
            RememberRefusal(key, new MeshError(ErrorCode.TokenExpired, $"the token expired at {DateTimeOffset.FromUnixTimeSeconds(verified.Value.Expires):O}"));
        }
        else if (!verified.IsOk && verified.Error.Code != ErrorCode.TokenNotYetValid && _refusalCapacity > 0)
        {
            RememberRefusal(key, verified.Error);
        }

        return verified;
    }

    // Full: the oldest half goes (by expiry), so the newest refusals, the ones a flood repeats, stay.
    private void RememberRefusal(Sha256Digest key, MeshError error)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (_refused.Count >= _refusalCapacity)
        {
            lock (_trimLock)
            {
                if (_refused.Count >= _refusalCapacity)
                {
                    foreach (var old in _refused.OrderBy(e => e.Value.Until).Take(Math.Max(1, _refused.Count / 2)).Select(e => e.Key).ToArray())
                    {
                        _refused.TryRemove(old, out _);
                    }
                }
            }
        }

        _refused[key] = (error, now + _refusalLifetimeMs);
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
