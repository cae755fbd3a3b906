using System.Security.Cryptography;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Secrets;
using Mesh.Contracts.Wire;
using Mesh.Node.Revocation;
using Mesh.Node.Tokens;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.Node.Secrets;

/// <summary>
/// <c>mesh secrets serve</c>: releases a secret only to a request whose token it verifies itself
/// (its own trusted roots and the revocation bucket, failing closed like a node), for a function
/// whose grant binds that secret, sealed to the one-time key the request brought. It alone holds
/// the key secrets rest sealed to; it keeps no state: any number may run in one queue group.
/// What it releases and refuses is logged by secret name and token id, never by value.
/// </summary>
public sealed class SecretService(
    INatsConnection nats,
    VerifiedTokenCache tokens,
    RevocationList revocations,
    SealingKey key,
    IOptions<NodeOptions> options,
    ILogger<SecretService> logger) : BackgroundService
{
    /// <summary>The most one release may take, reading the bucket included: a node waits 2 s.</summary>
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(5);

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the service is subscribed and has read the revocation bucket (or its grace period ran out).</summary>
    public Task Ready => _ready.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var kv = new NatsKVContext(new NatsJSContext(nats));
        await using var subscription = await nats.SubscribeCoreAsync<byte[]>(SecretRelease.Subject, queueGroup: options.Value.Secrets.QueueGroup, cancellationToken: stoppingToken);
        // Requests that come while the revocations are first read wait in the subscription rather
        // than being refused (node.revocation_unknown) by a service that has just started.
        if (!await revocations.WaitFirstReadAsync(TimeSpan.FromSeconds(30), stoppingToken))
        {
            Log.SecretsRevocationsUnread(logger, 30);
        }

        Log.SecretsServing(logger, key.PublicKeyText, SecretRelease.Subject);
        _ready.TrySetResult();
        try
        {
            await foreach (var msg in subscription.Msgs.ReadAllAsync(stoppingToken))
            {
                if (msg.ReplyTo is null)
                {
                    continue;
                }

                (byte[] Body, NatsHeaders Headers) answer;
                try
                {
                    using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    bounded.CancelAfter(ReleaseTimeout);
                    answer = await ReleaseAsync(kv, msg, bounded.Token);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // Whatever one request does (a key that is not a curve point, NATS away mid-read),
                    // it gets a code and the service goes on serving the others.
                    Log.SecretRefused(logger, "-", "-", ErrorCode.SecretUnavailable.ToWire(), e.GetType().Name);
                    answer = ([], new NatsHeaders { [MeshHeaders.Status] = ErrorCode.SecretUnavailable.ToWire(), [MeshHeaders.Message] = $"the release failed ({e.GetType().Name})" });
                }

                try
                {
                    await msg.ReplyAsync(answer.Body, answer.Headers, cancellationToken: stoppingToken);
                }
                catch (NatsException e)
                {
                    Log.SecretRefused(logger, "-", "-", "reply.failed", e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task<(byte[] Body, NatsHeaders Headers)> ReleaseAsync(NatsKVContext kv, NatsMsg<byte[]> msg, CancellationToken cancellationToken)
    {
        (byte[], NatsHeaders) Refuse(ErrorCode code, string message, string secret = "-", string tokenId = "-")
        {
            Log.SecretRefused(logger, secret, tokenId, code.ToWire(), message);
            return ([], new NatsHeaders { [MeshHeaders.Status] = code.ToWire(), [MeshHeaders.Message] = PrintableText.Clean(message, 512) });
        }

        if (!SecretRelease.TryRead(msg.Data ?? [], out var request, out var error))
        {
            return Refuse(ErrorCode.RequestMalformed, $"not a secret request: {error}");
        }

        var verified = tokens.Verify(tokens.LookText(msg.Headers?.TryGetValue(MeshHeaders.Token, out var text) == true ? text.ToString() : null));
        if (!verified.IsOk)
        {
            return Refuse(verified.Error.Code, verified.Error.Message, request!.Secret);
        }

        var tokenId = verified.Value.TokenId;
        if (await revocations.CheckAsync(verified.Value, TimeSpan.FromSeconds(2), cancellationToken) is { } revoked)
        {
            return Refuse(revoked.Code, revoked.Message, request!.Secret, tokenId);
        }

        var grant = tokens.Authorize(verified.Value, request!.Function, null);
        if (!grant.IsOk)
        {
            return Refuse(grant.Error.Code, grant.Error.Message, request.Secret, tokenId);
        }

        if (!grant.Value.BindsSecret(request.Secret))
        {
            return Refuse(ErrorCode.CapabilityDenied, $"the token binds no secret '{request.Secret}' for '{request.Function}'", request.Secret, tokenId);
        }

        byte[]? plaintext = null;
        try
        {
            var store = await kv.GetStoreAsync(SecretRelease.Bucket, cancellationToken);
            var entry = await store.TryGetEntryAsync<byte[]>(request.Secret, cancellationToken: cancellationToken);
            plaintext = entry.Success && entry.Value.Value is { } sealedValue ? SealedBox.Open(sealedValue, key, SecretRelease.AtRest(request.Secret)) : null;
            if (plaintext is null)
            {
                return Refuse(ErrorCode.SecretUnavailable, $"no secret '{request.Secret}' sealed to this service (mesh secret put)", request.Secret, tokenId);
            }

            var released = SealedBox.Seal(plaintext, request.PublicKey, SecretRelease.InTransit(request.Secret, request.Function, request.Nonce));
            Log.SecretReleased(logger, request.Secret, request.Function, tokenId);
            return (released, new NatsHeaders { [MeshHeaders.Status] = "ok" });
        }
        catch (Exception e) when (e is NatsException or CryptographicException or OperationCanceledException)
        {
            return Refuse(ErrorCode.SecretUnavailable, $"the secrets bucket could not be read: {e.GetType().Name}", request.Secret, tokenId);
        }
        finally
        {
            if (plaintext is not null)
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }
        }
    }
}
