using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Secrets;
using Mesh.Contracts.Tokens.Rules;
using Mesh.Contracts.Wire;
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
/// </summary>
public sealed class SecretClient(INatsConnection nats, TimeProvider time, IOptions<NodeOptions> options, ILogger<SecretClient> logger)
{
    /// <summary>Released secrets kept at most (per token, function and name); beyond it each use asks again.</summary>
    public const int MaxKept = 10_000;

    private readonly SecretsOptions _options = options.Value.Secrets;
    private readonly ConcurrentDictionary<(string TokenId, string Function, string Secret), (string Value, long Until)> _released = new();

    /// <summary>The headers to add for <paramref name="bindings"/>; throws a guest fault when a secret cannot be had.</summary>
    public List<(string Name, string Value)> Headers(InvocationContext context, IReadOnlyList<SecretBinding> bindings)
    {
        var headers = new List<(string, string)>(bindings.Count);
        foreach (var binding in bindings)
        {
            var value = Value(context, binding.Secret);
            headers.Add((binding.Header, binding.Render(value)));
        }

        return headers;
    }

    private string Value(InvocationContext context, string secret)
    {
        var token = context.Token ?? throw new GuestFault(ErrorCode.SecretUnavailable, $"secret '{secret}': the invocation has no token to present");
        var function = context.Grant.Function;
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var cacheKey = (token.TokenId, function, secret);
        if (_released.TryGetValue(cacheKey, out var kept) && kept.Until > now)
        {
            return kept.Value;
        }

        var wait = context.Remaining < _options.ReleaseTimeout ? context.Remaining : _options.ReleaseTimeout;
        var value = ReleaseAsync(token.Text, function, secret, wait, context.Deadline).GetAwaiter().GetResult();
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

    private async Task<string> ReleaseAsync(string token, string function, string secret, TimeSpan wait, CancellationToken deadline)
    {
        using var oneTime = SealingKey.Generate();
        var nonce = RandomNumberGenerator.GetBytes(SecretRelease.NonceLength);
        var request = SecretRelease.Write(new SecretRelease.Request(secret, function, oneTime.PublicKey, nonce));
        NatsMsg<byte[]> reply;
        try
        {
            reply = await nats.RequestAsync<byte[], byte[]>(
                SecretRelease.Subject, request, new NatsHeaders { [MeshHeaders.Token] = token },
                replyOpts: new NatsSubOpts { Timeout = wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(1) },
                cancellationToken: deadline);
        }
        catch (Exception e) when (e is NatsNoRespondersException or NatsNoReplyException or OperationCanceledException or NatsException)
        {
            throw Unavailable(secret, function, e is NatsNoRespondersException ? "no secrets service is running (mesh secrets serve)" : "the secrets service did not answer in time");
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
        Log.SecretUnavailable(logger, secret, function, reason);
        return new GuestFault(ErrorCode.SecretUnavailable, $"secret '{secret}': {reason}");
    }
}
