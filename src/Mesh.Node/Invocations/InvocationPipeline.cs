using Mesh.Node.Messaging;
using System.Diagnostics;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Chaining;
using Mesh.Node.Modules;
using Mesh.Node.Revocation;
using Mesh.Node.Telemetry;
using Mesh.Node.Sandbox;
using Mesh.Node.Tokens;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Node.Invocations;

/// <summary>
/// One message, from subject and headers to an outcome: the function from the subject, the token
/// (cached verification, then this message's checks), the module by digest, the import check, and
/// the sandboxed run. Knows nothing of NATS, so it is tested without a server.
/// </summary>
public sealed class InvocationPipeline(
    VerifiedTokenCache tokens,
    RevocationList revocations,
    ModuleCache modules,
    Invoker invoker,
    HostCallTable hostCalls,
    InvocationSlots slots,
    PayloadLimit payload,
    ReplySubjects replies,
    NodeStats stats,
    NodeMetrics metrics,
    IOptions<NodeOptions> options,
    ILogger<InvocationPipeline> logger)
{
    private readonly NodeOptions _options = options.Value;
    private readonly string _node = Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()));
    private long _sequence;

    public ValueTask<InvocationOutcome> RunAsync(string subject, string? tokenText, string? moduleText, ReadOnlyMemory<byte> input, CancellationToken cancellationToken) =>
        RunAsync(subject, TokenLook.Of(tokenText, tokens), moduleText, input, ChainPosition.Start, cancellationToken);

    public ValueTask<InvocationOutcome> RunAsync(
        string subject, string? tokenText, string? moduleText, ReadOnlyMemory<byte> input, ChainPosition position, CancellationToken cancellationToken) =>
        RunAsync(subject, TokenLook.Of(tokenText, tokens), moduleText, input, position, cancellationToken);

    /// <summary>One message whose token was already looked up (<see cref="TokenLook"/>): unknown tokens are verified here.</summary>
    /// <param name="httpRequest">For a call that came over HTTP: what <c>http_info</c> reads, already checked.</param>
    /// <param name="replyTo">Where the answer will go (a call's reply subject), held to the token's reply binding; null for none.</param>
    /// <param name="start">For a caller that asked to hear when the call starts: told just before the function runs.</param>
    public async ValueTask<InvocationOutcome> RunAsync(
        string subject, TokenLook token, string? moduleText, ReadOnlyMemory<byte> input, ChainPosition position, CancellationToken cancellationToken,
        byte[]? httpRequest = null, string? replyTo = null, StartNotice? start = null)
    {
        var invocationId = $"{_node}-{Interlocked.Increment(ref _sequence):x}";
        var started = Stopwatch.GetTimestamp();
        stats.Started();
        var outcome = await RunCoreAsync(invocationId, subject, token, moduleText, input, position, httpRequest, replyTo, start, cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var microseconds = (long)elapsed.TotalMicroseconds;
        stats.Completed(outcome.Error.Code, microseconds);
        metrics.Completed(outcome.Error.Code, elapsed.TotalSeconds);
        if (outcome.IsOk)
        {
            Log.Invoked(logger, subject, invocationId, outcome.TokenId, microseconds);
        }
        else
        {
            Log.Failed(logger, subject, invocationId, outcome.TokenId, outcome.Error.Code.ToWire(), outcome.Error.Message);
        }

        if (outcome.Denied is { } denied)
        {
            Log.Denied(logger, subject, invocationId, outcome.TokenId, denied);
        }

        return outcome;
    }

    /// <summary>
    /// Whether a refusal made before the pipeline ran (a malformed header) may be answered on
    /// <paramref name="replyTo"/>: not when the token verifies and binds its replies elsewhere.
    /// A token that does not verify has no binding to hold.
    /// </summary>
    public bool MayAnswer(TokenLook token, string? replyTo)
    {
        if (replyTo is null || token.Refusal is not null)
        {
            return true;
        }

        var verified = tokens.Verify(token);
        return !verified.IsOk || replies.IsAllowedFor(verified.Value, replyTo);
    }

    private async ValueTask<InvocationOutcome> RunCoreAsync(
        string invocationId, string subject, TokenLook token, string? moduleText, ReadOnlyMemory<byte> input, ChainPosition position, byte[]? httpRequest, string? replyTo, StartNotice? start, CancellationToken cancellationToken)
    {
        var function = Subjects.FunctionOf(subject);
        InvocationOutcome Fail(ErrorCode code, string message, string tokenId = "-") =>
            new(invocationId, function ?? subject, position.Step, new MeshError(code, message), null, tokenId);

        if (function is null)
        {
            return Fail(ErrorCode.RequestMalformed, $"'{subject}' is not a function subject (mesh.fn.<name>)");
        }

        // The token first: a call it binds to another inbox gets no answer of any kind, so none
        // of the refusals below may be sent before that is known.
        if (token.Refusal is { } refusal)
        {
            return Fail(refusal.Code, refusal.Message);
        }

        var verified = tokens.Verify(token);
        if (!verified.IsOk)
        {
            return Fail(verified.Error.Code, verified.Error.Message);
        }

        // The endpoint sends nothing for this code.
        if (!replies.IsAllowedFor(verified.Value, replyTo))
        {
            return Fail(ErrorCode.TokenWrongReply, $"the token binds replies to '{verified.Value.ReplyPrefix}'; the call named a reply subject outside it", verified.Value.TokenId);
        }

        if (position.Path.Contains(function))
        {
            return Fail(ErrorCode.ChainLoop, $"the chain already ran '{function}' ({string.Join(" -> ", position.Path)})");
        }

        if (position.Remaining is { } left && left <= TimeSpan.Zero)
        {
            return Fail(ErrorCode.ChainDeadline, $"the chain's time budget ran out before step {position.Step} ('{function}') could start");
        }

        // The node's bound holds whatever the message says; a message may only ask for less.
        var invocations = Math.Min(position.Invocations ?? int.MaxValue, _options.Execution.MaxInvocationsPerCall);
        if (invocations < 1)
        {
            return Fail(ErrorCode.ChainInvocationLimit, $"the call that led here has caused all the invocations it may (at most {_options.Execution.MaxInvocationsPerCall} per call)");
        }

        if (input.Length > _options.Execution.MaxInputBytes)
        {
            return Fail(ErrorCode.RequestTooLarge, $"input of {input.Length} bytes exceeds the node's limit of {_options.Execution.MaxInputBytes}");
        }

        Sha256Digest? requested = null;
        if (!string.IsNullOrEmpty(moduleText))
        {
            if (!Sha256Digest.TryParse(moduleText, out var parsed))
            {
                return Fail(ErrorCode.RequestMalformed, $"{MeshHeaders.Module} must be sha256:<64 hex digits>");
            }

            requested = parsed;
        }

        if (await revocations.CheckAsync(verified.Value, position.Remaining, cancellationToken) is { } revoked)
        {
            return Fail(revoked.Code, revoked.Message, verified.Value.TokenId);
        }

        var grant = tokens.Authorize(verified.Value, function, requested);
        if (!grant.IsOk)
        {
            return Fail(grant.Error.Code, grant.Error.Message);
        }

        var module = await modules.GetAsync(requested ?? grant.Value.Modules[0], cancellationToken);
        if (!module.IsOk)
        {
            return Fail(module.Error.Code, module.Error.Message, grant.Value.TokenId);
        }

        // A reference to the compiled module, held until the sandbox is done with it.
        try
        {
            if (hostCalls.Check(module.Value, grant.Value) is { } refused)
            {
                return Fail(refused.Code, refused.Message, grant.Value.TokenId);
            }

            // The output must fit one NATS message with its headers, whatever the ceiling says;
            // the chain's budget, when the caller set one, caps this step's wall time like any limit.
            var limits = EffectiveLimits.From(grant.Value.Limits, _options.Ceilings);
            limits = limits with { OutputBytes = Math.Min(limits.OutputBytes, payload.MaxBody) };
            if (position.Remaining is { } budget && budget.TotalMilliseconds < limits.WallTimeMs)
            {
                limits = limits with { WallTimeMs = Math.Max(1, (long)budget.TotalMilliseconds) };
            }

            var context = new InvocationContext(grant.Value, input, limits, invocationId)
            {
                Token = verified.Value,
                Position = position,
                HttpRequest = httpRequest,
                Invocations = new InvocationBudget(invocations - 1),
                Stopping = cancellationToken,
            };
            MeshError error;
            using (await slots.EnterAsync(cancellationToken))
            {
                // Again where the call starts: a revocation that arrived while it waited for a slot holds.
                if (await revocations.CheckAsync(verified.Value, position.Remaining, cancellationToken) is { } revokedSince)
                {
                    context.Dispose();
                    return Fail(revokedSince.Code, revokedSince.Message, verified.Value.TokenId);
                }

                if (start is not null && !await start.TellAsync())
                {
                    context.Dispose();
                    return Fail(ErrorCode.NodeOverloaded, $"not started within the {start.Within.TotalMilliseconds:0} ms its caller allowed: it may have tried another node; not run here", verified.Value.TokenId);
                }

                error = invoker.Invoke(module.Value, context);
            }

            return new InvocationOutcome(invocationId, function, position.Step, error, context, grant.Value.TokenId);
        }
        finally
        {
            module.Value.Release();
        }
    }
}
