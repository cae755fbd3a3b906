using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Secrets;
using Mesh.Contracts.Tokens.Rules;
using Mesh.Contracts.Wire;
using Mesh.Node.Revocation;
using Mesh.Node.Sandbox;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace Mesh.Node.Secrets;

/// <summary>
/// How a node gets a secret for one invocation: it asks the secrets service with the invocation's
/// token and a one-time X25519 key, opens the answer with that key (a reply meant for another
/// request does not open), and keeps the value in memory for that token only, at most
/// <see cref="SecretsOptions.CacheFor"/> and never past the token's expiry. A secret it cannot have
/// stops the invocation with <c>secret.unavailable</c>; its value is never logged or returned.
/// A kept value is dropped the moment <c>mesh secret put</c> or <c>rm</c> changes the secret (they
/// write <c>secret.NAME</c> to the revocation bucket), and used only while the node's copy of that
/// bucket is fresh: so once the command returns, no node uses the old value, the promise a token's
/// revocation keeps (<see cref="RevocationPromise"/>). A value that arrives after its secret
/// changed mid-request is not kept, and is asked for again.
/// </summary>
public sealed class SecretClient
{
    /// <summary>Released secrets kept at most (per token, function and name); beyond it each use asks again.</summary>
    public const int MaxKept = 10_000;

    private readonly INatsConnection _nats;
    private readonly TimeProvider _time;
    private readonly RevocationList _revocations;
    private readonly ILogger<SecretClient> _logger;
    private readonly SecretsOptions _options;
    private readonly ConcurrentDictionary<(string TokenId, string Function, string Secret), (string Value, long Until)> _released = new();

    // How often each secret has changed since this node started: a release that saw a change while
    // it was in flight may carry the old value.
    private readonly ConcurrentDictionary<string, long> _changes = new(StringComparer.Ordinal);

    public SecretClient(INatsConnection nats, TimeProvider time, RevocationList revocations, IOptions<NodeOptions> options, ILogger<SecretClient> logger)
    {
        _nats = nats;
        _time = time;
        _revocations = revocations;
        _logger = logger;
        _options = options.Value.Secrets;
        revocations.SecretChanged += Forget;
    }

    // Counted first, then dropped: a release completing in between sees the change and keeps nothing.
    private void Forget(string secret)
    {
        _changes.AddOrUpdate(secret, 1, (_, n) => n + 1);
        foreach (var key in _released.Keys.Where(k => k.Secret == secret))
        {
            _released.TryRemove(key, out _);
        }

        Log.SecretForgotten(_logger, secret);
    }

    /// <summary>
    /// The headers to add for <paramref name="bindings"/>, and what the answer must be scrubbed of
    /// (<see cref="SecretEchoes"/>); throws a guest fault when a secret cannot be had.
    /// </summary>
    public (List<(string Name, string Value)> Headers, SecretEchoes Echoes) Headers(InvocationContext context, IReadOnlyList<SecretBinding> bindings)
    {
        var headers = new List<(string, string)>(bindings.Count);
        var values = new List<(string, string)>(bindings.Count);
        foreach (var binding in bindings)
        {
            var value = Value(context, binding.Secret);
            headers.Add((binding.Header, binding.Render(value)));
            values.Add((binding.Secret, value));
        }

        return (headers, SecretEchoes.For(values));
    }

    private string Value(InvocationContext context, string secret)
    {
        var token = context.Token ?? throw new GuestFault(ErrorCode.SecretUnavailable, $"secret '{secret}': the invocation has no token to present");
        var function = context.Grant.Function;
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var cacheKey = (token.TokenId, function, secret);

        // A kept value only while this node would have heard of a change up to a moment ago.
        if (_revocations.IsFresh && _released.TryGetValue(cacheKey, out var kept) && kept.Until > now)
        {
            return kept.Value;
        }

        string value;
        var changes = _changes.GetValueOrDefault(secret);
        var attempt = 0;
        while (true)
        {
            var wait = context.Remaining < _options.ReleaseTimeout ? context.Remaining : _options.ReleaseTimeout;
            value = ReleaseAsync(token.Text, function, secret, wait, context.Deadline).GetAwaiter().GetResult();
            var changedSince = _changes.GetValueOrDefault(secret);
            if (changedSince == changes)
            {
                break;
            }

            // Changed while the request was out: the service may have read the value before the
            // change. Ask again once; if it changes again meanwhile, it is not usable yet.
            if (++attempt > 1)
            {
                throw Unavailable(secret, function, "it changed while it was being released; retry");
            }

            changes = changedSince;
        }

        if (_released.Count >= MaxKept)
        {
            // Swept only when full, so a lookup never walks the cache; past the bound, nothing more is kept.
            foreach (var stale in _released.Where(e => e.Value.Until <= now).Select(e => e.Key).ToList())
            {
                _released.TryRemove(stale, out _);
            }
        }

        if (_released.Count < MaxKept)
        {
            _released[cacheKey] = (value, Math.Min(token.Expires, now + (long)_options.CacheFor.TotalSeconds));
        }

        return value;
    }

    // Attempt after attempt within `wait`: a service that died holding a request (or none answering
    // for a moment) costs one attempt, and the queue group gives the next to another instance.
    private async Task<string> ReleaseAsync(string token, string function, string secret, TimeSpan wait, CancellationToken deadline)
    {
        var started = _time.GetTimestamp();
        var why = "the secrets service did not answer in time";
        while (true)
        {
            var left = wait - _time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero || deadline.IsCancellationRequested)
            {
                throw Unavailable(secret, function, why);
            }

            try
            {
                return await ReleaseOnceAsync(token, function, secret, left < _options.AttemptTimeout ? left : _options.AttemptTimeout, deadline);
            }
            catch (NatsNoRespondersException)
            {
                why = "no secrets service is running (mesh secrets serve)";
                await Task.Delay(TimeSpan.FromMilliseconds(50), _time, deadline).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            catch (Exception e) when (e is NatsException || (e is OperationCanceledException && !deadline.IsCancellationRequested))
            {
                why = "the secrets service did not answer in time";
            }
            catch (OperationCanceledException)
            {
                throw Unavailable(secret, function, why);
            }
        }
    }

    private async Task<string> ReleaseOnceAsync(string token, string function, string secret, TimeSpan wait, CancellationToken deadline)
    {
        using var oneTime = SealingKey.Generate();
        var nonce = RandomNumberGenerator.GetBytes(SecretRelease.NonceLength);
        var request = SecretRelease.Write(new SecretRelease.Request(secret, function, oneTime.PublicKey, nonce));
        var reply = await _nats.RequestAsync<byte[], byte[]>(
            SecretRelease.Subject, request, new NatsHeaders { [MeshHeaders.Token] = token },
            replyOpts: new NatsSubOpts { Timeout = wait },
            cancellationToken: deadline);
        if (reply.HasNoResponders)
        {
            throw new NatsNoRespondersException();
        }

        var status = reply.Headers?.TryGetValue(MeshHeaders.Status, out var s) == true ? s.ToString() : null;
        if (status != "ok")
        {
            var message = reply.Headers?.TryGetValue(MeshHeaders.Message, out var m) == true ? m.ToString() : "";
            // Whoever answered wrote this text: it is made printable and short before a log or a reply holds it.
            throw Unavailable(secret, function, PrintableText.Clean($"the secrets service refused it: {status ?? "no status"}: {message}", 512));
        }

        var plaintext = SealedBox.Open(reply.Data ?? [], oneTime, SecretRelease.InTransit(secret, function, nonce))
            ?? throw Unavailable(secret, function, "the answer was not sealed to this request");
        try
        {
            var value = Encoding.UTF8.GetString(plaintext);
            // The value goes into a header: one that could end it or start another is not released.
            return value.All(c => c == '\t' || (c >= 0x20 && c < 0x7F))
                ? value
                : throw Unavailable(secret, function, "its value holds characters a header may not (control characters or non-ASCII)");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private GuestFault Unavailable(string secret, string function, string reason)
    {
        Log.SecretUnavailable(_logger, secret, function, reason);
        return new GuestFault(ErrorCode.SecretUnavailable, $"secret '{secret}': {reason}");
    }
}
