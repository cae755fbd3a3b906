using Mesh.Node.Invocations;
using System.Buffers;
using System.Globalization;
using MessagePack;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Messaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace Mesh.Node.Chaining;

/// <summary>
/// A declared chain's next move, after a step succeeded: its output becomes the input of the
/// functions its grant names in <c>then</c>, each called with a hop token for it.
/// <list type="bullet">
/// <item>One next step: the message goes on with the caller's reply subject, so the last step
/// answers the caller directly and no node waits in between.</item>
/// <item>Several (fan-out): each branch is called and awaited; the caller gets a map of their
/// outputs, or the first failure, naming its step. Without a reply subject the branches are only
/// published: nobody is waiting for them.</item>
/// </list>
/// </summary>
public sealed class NextSteps(INatsConnection nats, HopTokens hopTokens, ReplySubjects replies, PayloadLimit payload, TimeProvider time, IOptions<NodeOptions> options, ILogger<NextSteps> logger)
{
    private static readonly TimeSpan Unbounded = TimeSpan.FromDays(3650);
    private readonly TimeSpan _fanOutWait = options.Value.Ceilings.FanOutWait;

    /// <summary>Hands the output on; null when the next step will answer the caller itself.</summary>
    public async ValueTask<ChainAnswer?> HandOnAsync(InvocationOutcome outcome, string? replyTo, CancellationToken cancellationToken)
    {
        var context = outcome.Context!;
        var targets = outcome.Then;
        var gather = targets.Length > 1 && replyTo is not null;
        var wait = context.Position.Remaining ?? _fanOutWait;
        if (context.Invocations.SplitForSteps(targets.Length) is not { } shares)
        {
            return Failed(outcome, ErrorCode.ChainInvocationLimit, $"the call has caused all the invocations it may; {targets.Length} more step(s) would exceed it");
        }

        var hops = new List<(string Target, NatsHeaders Headers)>(targets.Length);
        foreach (var (target, share) in targets.Zip(shares))
        {
            if (context.Position.WouldLoop(outcome.Function, target))
            {
                return Failed(outcome, ErrorCode.ChainLoop, $"the chain already ran '{target}'");
            }

            var lifetime = context.Position.Remaining ?? Unbounded;
            var hop = hopTokens.For(context.Token, target, time.GetUtcNow(), lifetime);
            if (!hop.IsOk)
            {
                return Failed(outcome, hop.Error.Code, $"cannot hand the output on to '{target}': {hop.Error.Message}");
            }

            hops.Add((target, context.Position.HopHeaders(outcome.Function, hop.Value, share, gather ? wait : null)));
        }

        if (!gather)
        {
            // The caller's reply subject travels on only where this node would answer it itself.
            var answerTo = replies.IsAllowed(replyTo) ? replyTo : null;
            foreach (var (target, headers) in hops)
            {
                await nats.PublishAsync(Subjects.ForFunction(target), outcome.Output, headers, answerTo, cancellationToken: cancellationToken);
            }

            return null;
        }

        var branches = await Task.WhenAll(hops.Select(h => CallBranchAsync(outcome, h.Target, h.Headers, wait, cancellationToken)));
        if (branches.FirstOrDefault(b => !b.IsOk) is { } failed)
        {
            return failed;
        }

        // Each branch's output fits a message; all of them together need not.
        var gathered = GatherOutputs(branches);
        return gathered.Length <= payload.MaxBody
            ? new ChainAnswer(MeshError.None, outcome.Function, outcome.Step, gathered, string.Join(',', targets))
            : Failed(outcome, ErrorCode.FunctionOutputTooLarge, $"the fan-out's outputs together are {gathered.Length} bytes, more than one message may carry ({payload.MaxBody})");
    }

    private async Task<ChainAnswer> CallBranchAsync(InvocationOutcome outcome, string target, NatsHeaders headers, TimeSpan wait, CancellationToken cancellationToken)
    {
        var step = outcome.Step + 1;
        try
        {
            var reply = await nats.RequestAsync<ReadOnlyMemory<byte>, byte[]>(
                Subjects.ForFunction(target), outcome.Output, headers, replyOpts: new NatsSubOpts { Timeout = wait }, cancellationToken: cancellationToken);
            if (reply.HasNoResponders)
            {
                return new ChainAnswer(new MeshError(ErrorCode.ChainUndelivered, $"no node serves '{target}'"), target, step);
            }

            string? Header(string name) => reply.Headers?.TryGetValue(name, out var value) == true ? value.ToString() : null;
            var answeredBy = Header(MeshHeaders.Function) ?? target;
            var answeredStep = int.TryParse(Header(MeshHeaders.Step), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : step;
            var status = Header(MeshHeaders.Status);
            if (status == "ok")
            {
                return new ChainAnswer(MeshError.None, target, answeredStep, reply.Data ?? []);
            }

            var code = status is not null && ErrorCodes.TryParse(status, out var parsed) ? parsed : ErrorCode.NodeInternal;
            return new ChainAnswer(new MeshError(code, Header(MeshHeaders.Message) ?? "the branch failed without saying why"), answeredBy, answeredStep);
        }
        catch (NatsNoRespondersException)
        {
            return new ChainAnswer(new MeshError(ErrorCode.ChainUndelivered, $"no node serves '{target}'"), target, step);
        }
        catch (NatsNoReplyException)
        {
            Log.BranchTimedOut(logger, outcome.Function, outcome.InvocationId, target, wait);
            return new ChainAnswer(new MeshError(ErrorCode.ChainDeadline, $"'{target}' did not answer within {wait.TotalSeconds:0.###} s"), target, step);
        }
    }

    // The outputs as one MessagePack map, function name to output bytes, in the order the grant lists them.
    private static byte[] GatherOutputs(ChainAnswer[] branches)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(branches.Length);
        foreach (var branch in branches)
        {
            writer.Write(branch.Function);
            writer.Write(branch.Body.Span);
        }

        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static ChainAnswer Failed(InvocationOutcome outcome, ErrorCode code, string message) =>
        new(new MeshError(code, message), outcome.Function, outcome.Step);
}
