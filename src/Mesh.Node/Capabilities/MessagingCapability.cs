using System.Text;
using Mesh.Contracts.HostCalls;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Chaining;
using Mesh.Contracts.Tokens.Rules;
using Mesh.Node.Messaging;
using Mesh.Node.Sandbox;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace Mesh.Node.Capabilities;

/// <summary>
/// <c>mesh.publish</c> and <c>mesh.request</c>: a guest sends to a literal subject only if a rule of
/// every block matches it, the subject is not a system one (whatever the grant), and the invocation
/// has message budget and time left. Refusals are logged with what refused them and counted.
/// </summary>
public sealed class MessagingCapability(INatsConnection nats, HopTokens hopTokens, NodeStats stats, TimeProvider time, IOptions<NodeOptions> options, ILogger<MessagingCapability> logger) : ICapability
{
    private readonly TimeSpan _requestTimeout = options.Value.Ceilings.RequestTimeout;

    public IReadOnlyList<HostCall> HostCalls =>
    [
        new(GuestAbi.Publish, ["subject_ptr", "subject_len", "data_ptr", "data_len"], "status", call =>
            call.TrySpan(0, out var subject) && call.TrySpan(2, out var data) ? Publish(call.Context, subject, data) : HostStatus.OutOfBounds)
        {
            Needs = "publish",
            Allowed = static grant => grant.MayPublish,
        },
        new(GuestAbi.Request, ["subject_ptr", "subject_len", "data_ptr", "data_len", "timeout_ms"], "n", call =>
            call.TrySpan(0, out var subject) && call.TrySpan(2, out var data) ? Request(call.Context, subject, data, call.I32(4)) : HostStatus.OutOfBounds)
        {
            Needs = "request",
            Allowed = static grant => grant.MayRequest,
        },
    ];

    public int Publish(InvocationContext context, ReadOnlySpan<byte> subjectBytes, ReadOnlySpan<byte> data)
    {
        var status = Check(context, "publish", subjectBytes, data, out var subject);
        if (status != HostStatus.Ok)
        {
            return status;
        }

        if (HopHeaders(context, "publish", subject, context.Remaining, out var headers) is var hopStatus and not HostStatus.Ok)
        {
            return hopStatus;
        }

        try
        {
            // Host calls are synchronous (the node runs Wasmtime without its async support). A publish waits for the socket
            // buffer, or for a reconnection, but never past the invocation's deadline.
            nats.PublishAsync(subject, data.ToArray(), headers, cancellationToken: context.Deadline).AsTask().GetAwaiter().GetResult();
            return HostStatus.Ok;
        }
        catch (OperationCanceledException)
        {
            return HostStatus.Timeout;
        }
        catch (NatsException)
        {
            return HostStatus.Unavailable;
        }
    }

    public int Request(InvocationContext context, ReadOnlySpan<byte> subjectBytes, ReadOnlySpan<byte> data, int timeoutMs)
    {
        var status = Check(context, "request", subjectBytes, data, out var subject);
        if (status != HostStatus.Ok)
        {
            return status;
        }

        var timeout = Min(Min(TimeSpan.FromMilliseconds(Math.Max(1, timeoutMs)), _requestTimeout), context.Remaining);
        if (timeout <= TimeSpan.Zero)
        {
            return HostStatus.Timeout;
        }

        if (HopHeaders(context, "request", subject, timeout, out var headers) is var hopStatus and not HostStatus.Ok)
        {
            return hopStatus;
        }

        try
        {
            var reply = nats.RequestAsync<byte[], byte[]>(subject, data.ToArray(), headers, replyOpts: new NatsSubOpts { Timeout = timeout }, cancellationToken: context.Deadline)
                .AsTask().GetAwaiter().GetResult();
            if (reply.HasNoResponders)
            {
                return HostStatus.Unavailable;
            }

            // A called function that failed answers with its code: the caller's guest sees unavailable.
            if (headers is not null && reply.Headers?.TryGetValue(MeshHeaders.Status, out var answered) == true && answered != "ok")
            {
                Log.CalledFunctionFailed(logger, context.Grant.Function, context.InvocationId, subject, answered.ToString(), reply.Headers[MeshHeaders.Message].ToString());
                return HostStatus.Unavailable;
            }

            return context.SetResult(reply.Data ?? []);
        }
        catch (Exception e) when (e is NatsNoReplyException or OperationCanceledException)
        {
            return HostStatus.Timeout;
        }
        catch (NatsException)
        {
            return HostStatus.Unavailable;
        }
    }

    // A message to another function carries the next hop's token and the chain's headers; other
    // subjects carry none. A hop back to a function the chain already visited is refused, and so
    // is one past the invocations the call may cause.
    private int HopHeaders(InvocationContext context, string capability, string subject, TimeSpan lifetime, out NatsHeaders? headers)
    {
        headers = null;
        if (Subjects.FunctionOf(subject) is not { } target)
        {
            return HostStatus.Ok;
        }

        if (context.Position.WouldLoop(context.Grant.Function, target))
        {
            Refusal.Record(context, stats, logger, capability, subject, $"the chain already visited '{target}' ({ErrorCode.ChainLoop.ToWire()})");
            return HostStatus.Denied;
        }

        var hop = hopTokens.For(context.Token, target, time.GetUtcNow(), lifetime);
        if (!hop.IsOk)
        {
            Refusal.Record(context, stats, logger, capability, subject, $"cannot hand the token on: {hop.Error}");
            return HostStatus.Denied;
        }

        var share = context.Invocations.TakeForCall(context.MessagesLeft);
        if (share < 1)
        {
            Refusal.Record(context, stats, logger, capability, subject, $"the call has caused all the invocations it may ({ErrorCode.ChainInvocationLimit.ToWire()})");
            return HostStatus.LimitExceeded;
        }

        headers = context.Position.HopHeaders(context.Grant.Function, hop.Value, share, capability == "request" ? lifetime : null);
        return HostStatus.Ok;
    }

    private int Check(InvocationContext context, string capability, ReadOnlySpan<byte> subjectBytes, ReadOnlySpan<byte> data, out string subject)
    {
        subject = subjectBytes.Length <= SubjectPattern.MaxLength ? Encoding.UTF8.GetString(subjectBytes) : "";
        if (!SubjectPattern.IsLiteral(subject))
        {
            return HostStatus.Invalid;
        }

        var grant = context.Grant;
        string? refusal = null;
        if (SubjectPattern.IsReserved(subject))
        {
            refusal = "system subjects are never granted";
        }
        else if (!(capability == "publish" ? grant.AllowsPublish(subject) : grant.AllowsRequest(subject)))
        {
            refusal = $"no {capability} rule of the token matches it";
        }

        if (refusal is not null)
        {
            Refusal.Record(context, stats, logger, capability, subject, refusal);
            return HostStatus.Denied;
        }

        return data.Length > context.Limits.MessageBytes || !context.TakeMessage() ? HostStatus.LimitExceeded : HostStatus.Ok;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
