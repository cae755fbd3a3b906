using System.Collections.Concurrent;
using System.Globalization;
using Mesh.Contracts.Wire;
using NATS.Client.Core;
using Polly;
using Polly.Retry;

namespace Mesh.Client;

/// <summary>
/// Calls functions over any NATS connection, the way any language could: a request to
/// <c>mesh.fn.NAME</c> with the token in <c>Mesh-Token</c>. Retries, with exponential backoff
/// and jitter (Polly), what is safe to retry: calls no node admitted (no responders,
/// <c>node.overloaded</c>, <c>node.draining</c>, <c>node.revocation_unknown</c>) always, and calls
/// that may have run (timeouts) only when the caller says the call is idempotent. Never token,
/// request, module, capability or function errors: trying again would fail the same way.
/// A token whose reply binding excludes this connection's inbox is refused before it is sent
/// (<c>token.wrong_reply</c>): nodes would neither run nor answer it.
/// </summary>
public sealed class MeshClient(INatsConnection nats)
{
    private readonly ReplyBinding _binding = new();

    private static readonly ErrorCode[] NotAdmitted = [ErrorCode.NodeUnavailable, ErrorCode.NodeOverloaded, ErrorCode.NodeDraining, ErrorCode.NodeRevocationUnknown];

    // One pipeline per retry policy, built once: a call should not build its own.
    private readonly ConcurrentDictionary<(int Retries, TimeSpan Backoff, bool Idempotent), ResiliencePipeline<MeshReply>> _pipelines = new();

    public async Task<MeshReply> CallAsync(string function, string token, ReadOnlyMemory<byte> input, CallOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new CallOptions();
        if (_binding.Problem(token, nats.Opts.InboxPrefix) is { } unanswerable)
        {
            return new MeshReply(ErrorCode.TokenWrongReply, ErrorCode.TokenWrongReply.ToWire(), unanswerable, default);
        }

        var subject = Subjects.ForFunction(function);
        var attempts = 0;
        var retry = _pipelines.GetOrAdd((options.Retries, options.Backoff, options.Idempotent), Pipeline);
        var reply = await retry.ExecuteAsync(
            async ct =>
            {
                attempts++;
                return await AttemptAsync(subject, token, input, options, ct);
            },
            cancellationToken);
        return reply with { Attempts = attempts };
    }

    private static ResiliencePipeline<MeshReply> Pipeline((int Retries, TimeSpan Backoff, bool Idempotent) policy) =>
        policy.Retries <= 0
            ? ResiliencePipeline<MeshReply>.Empty
            : new ResiliencePipelineBuilder<MeshReply>()
                .AddRetry(new RetryStrategyOptions<MeshReply>
                {
                    MaxRetryAttempts = policy.Retries,
                    Delay = policy.Backoff,
                    BackoffType = DelayBackoffType.Exponential,
                    MaxDelay = TimeSpan.FromSeconds(2),
                    UseJitter = true,
                    ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { } reply && ShouldRetry(reply, policy.Idempotent)),
                })
                .Build();

    /// <summary>Whether another attempt could end differently and cannot do harm.</summary>
    public static bool ShouldRetry(MeshReply reply, bool idempotent) =>
        NotAdmitted.Contains(reply.Code) || (reply.Code is ErrorCode.RequestTimeout or ErrorCode.NodeStopped && idempotent);

    private async Task<MeshReply> AttemptAsync(string subject, string token, ReadOnlyMemory<byte> input, CallOptions options, CancellationToken cancellationToken)
    {
        var headers = new NatsHeaders
        {
            [MeshHeaders.Token] = token,
            [MeshHeaders.Budget] = ((long)Budget(options.Timeout).TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
        };
        if (options.Module is not null)
        {
            headers[MeshHeaders.Module] = options.Module;
        }

        foreach (var (name, value) in options.Headers ?? [])
        {
            headers[name] = value;
        }

        if (options.StartWithin is { } within)
        {
            return await AttemptWithStartAsync(subject, input, headers, within, options, cancellationToken);
        }

        try
        {
            var msg = await nats.RequestAsync<ReadOnlyMemory<byte>, byte[]>(subject, input, headers, replyOpts: new NatsSubOpts { Timeout = options.Timeout }, cancellationToken: cancellationToken);
            return msg.HasNoResponders ? NoNode(subject) : Read(msg);
        }
        catch (NatsNoRespondersException)
        {
            return NoNode(subject);
        }
        catch (NatsNoReplyException)
        {
            return new MeshReply(ErrorCode.RequestTimeout, ErrorCode.RequestTimeout.ToWire(), $"no answer from {subject} within {options.Timeout.TotalSeconds:0.###} s", default);
        }
    }

    // The node's first reply says the call started; the second is its answer. Nothing by the start
    // deadline (plus a margin for the way back) means no node started it, and none will. An inbox
    // of the call's own, since two replies come (a request takes one, and a request for many stops
    // at the first with an empty body, which both a started notice and an error reply have).
    private async Task<MeshReply> AttemptWithStartAsync(string subject, ReadOnlyMemory<byte> input, NatsHeaders headers, TimeSpan within, CallOptions options, CancellationToken cancellationToken)
    {
        headers[MeshHeaders.StartWithin] = ((long)within.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        var inbox = nats.NewInbox();
        await using var replies = await nats.SubscribeCoreAsync<byte[]>(inbox, cancellationToken: cancellationToken);
        var begun = System.Diagnostics.Stopwatch.GetTimestamp();
        await nats.PublishAsync(subject, input, headers, replyTo: inbox, cancellationToken: cancellationToken);

        var first = await NextAsync(replies, within + StartMargin, cancellationToken);
        if (first is not { } reply)
        {
            return new MeshReply(ErrorCode.NodeUnavailable, ErrorCode.NodeUnavailable.ToWire(), $"no node started {subject} within {within.TotalMilliseconds:0} ms (none took it, or the one that did stopped); it did not run", default);
        }

        if (reply.Headers?.Code == 503)
        {
            return NoNode(subject);
        }

        if (reply.Headers?.TryGetValue(MeshHeaders.Status, out var status) != true || status.ToString() != MeshHeaders.Started)
        {
            return Read(reply);
        }

        var left = options.Timeout - System.Diagnostics.Stopwatch.GetElapsedTime(begun);
        return await NextAsync(replies, left, cancellationToken) is { } answer
            ? Read(answer)
            : new MeshReply(ErrorCode.RequestTimeout, ErrorCode.RequestTimeout.ToWire(), $"{subject} started but did not answer within {options.Timeout.TotalSeconds:0.###} s", default);
    }

    // The next reply within `wait`, or null when none came.
    private static async Task<NatsMsg<byte[]>?> NextAsync(INatsSub<byte[]> replies, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (wait <= TimeSpan.Zero)
        {
            return null;
        }

        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(wait);
        try
        {
            return await replies.Msgs.ReadAsync(bounded.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    // How long a started notice may take to come back beyond the start deadline itself.
    private static readonly TimeSpan StartMargin = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// What a call sends as its chain's budget: 90% of its wait, and a second less at least (but
    /// never under half of it), so a step that runs out of budget can still say so before the
    /// caller stops listening, on a busy machine too.
    /// </summary>
    public static TimeSpan Budget(TimeSpan wait)
    {
        var lessASecond = wait - TimeSpan.FromSeconds(1) > wait / 2 ? wait - TimeSpan.FromSeconds(1) : wait / 2;
        return wait * 0.9 < lessASecond ? wait * 0.9 : lessASecond;
    }

    private static MeshReply Read(NatsMsg<byte[]> msg)
    {
        string? Header(string name) => msg.Headers?.TryGetValue(name, out var value) == true ? value.ToString() : null;
        var status = Header(MeshHeaders.Status);
        var code = status switch
        {
            "ok" => ErrorCode.None,
            not null when ErrorCodes.TryParse(status, out var parsed) => parsed,
            _ => ErrorCode.NodeInternal,
        };
        return new MeshReply(code, status ?? "reply.unknown", status is null ? "no Mesh-Status in the reply: is something else answering on this subject?" : Header(MeshHeaders.Message), msg.Data ?? [])
        {
            Function = Header(MeshHeaders.Function),
            Step = int.TryParse(Header(MeshHeaders.Step), NumberStyles.None, CultureInfo.InvariantCulture, out var step) ? step : null,
            FanOut = Header(MeshHeaders.FanOut),
            Denied = Header(MeshHeaders.Denied),
            HttpResponse = Header(MeshHeaders.HttpResponse),
        };
    }

    // "No responders" means no node received it: as safe to retry as an overloaded node.
    private static MeshReply NoNode(string subject) =>
        new(ErrorCode.NodeUnavailable, ErrorCode.NodeUnavailable.ToWire(), $"no node is serving {subject} (is a node running on this NATS?)", default);
}
