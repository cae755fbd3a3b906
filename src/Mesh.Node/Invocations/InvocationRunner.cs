using System.Diagnostics;
using Mesh.Contracts.HostCalls;
using Mesh.Contracts.Wire;
using Mesh.Node.Chaining;
using Mesh.Node.Telemetry;
using Mesh.Node.Tokens;
using NATS.Client.Core;

namespace Mesh.Node.Invocations;

/// <summary>
/// Runs one message as an invocation, the same for calls and durable jobs: where it stands in a
/// chain (its headers, and the time it waited), its span, the pipeline, and handing its output on
/// to the next steps. What differs is only how each answers: a call replies, a job acknowledges.
/// Every wait ends when the node's drain does.
/// </summary>
public sealed class InvocationRunner(InvocationPipeline pipeline, NextSteps nextSteps, NodeTelemetry telemetry, NodeDrain drain, FunctionLogs.FunctionLogPublisher published)
{
    /// <param name="arrived">When the message arrived (a <see cref="Stopwatch"/> timestamp): a chain's budget counts the wait.</param>
    /// <param name="replyTo">A call's reply subject (held to the token's reply binding); null for a job.</param>
    /// <param name="start">For a call whose caller asked to hear when it starts (<c>Mesh-Start-Within</c>).</param>
    public async ValueTask<Invocation> RunAsync(string subject, NatsHeaders? headers, TokenLook token, ReadOnlyMemory<byte> input, long arrived, string? replyTo, StartNotice? start = null)
    {
        var position = ChainPosition.Read(headers, arrived);
        if (!position.IsOk)
        {
            return Refused(position.Error, subject, token, replyTo);
        }

        byte[]? http = null;
        if (Header(headers, MeshHeaders.HttpRequest) is { } httpText)
        {
            http = HttpTrigger.Decode(httpText);
            if (http is null || !HttpTrigger.TryReadRequest(http, out _, out _))
            {
                return Refused(new MeshError(ErrorCode.RequestMalformed, $"{MeshHeaders.HttpRequest} must be base64url MessagePack [method, path, query, [[name, value]...]] of at most {HttpTrigger.MaxEncodedLength} characters"), subject, token, replyTo);
            }
        }

        var activity = telemetry.StartInvocation(subject, position.Value);
        try
        {
            var outcome = await pipeline.RunAsync(subject, token, Header(headers, MeshHeaders.Module), input, position.Value, drain.Ended, http, replyTo, start);
            NodeTelemetry.Complete(activity, outcome);
            if (published.Enabled)
            {
                published.Outcome(outcome.Function, outcome.TokenId, outcome.InvocationId, outcome.Step, outcome.Error, (long)Stopwatch.GetElapsedTime(arrived).TotalMicroseconds, outcome.Context?.Denied, position.Value, activity);
            }

            return new Invocation(outcome, activity);
        }
        catch
        {
            activity?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Hands the output on (for an invocation that <see cref="Invocation.HandsOn"/>), inside its
    /// span so the next steps join its trace. Returns what the caller is owed, or null when the
    /// next step answers the caller itself.
    /// </summary>
    public async ValueTask<ChainAnswer?> HandOnAsync(Invocation invocation, string? replyTo)
    {
        Activity.Current = invocation.Activity ?? Activity.Current;
        return await nextSteps.HandOnAsync(invocation.Outcome!, replyTo, drain.Ended);
    }

    // A malformed header is refused before the pipeline runs, and answered only where the token lets it be.
    private Invocation Refused(MeshError error, string subject, TokenLook token, string? replyTo) =>
        new(pipeline.MayAnswer(token, replyTo) ? error : new MeshError(ErrorCode.TokenWrongReply, "the token binds replies elsewhere"), Subjects.FunctionOf(subject) ?? subject);

    public static string? Header(NatsHeaders? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var value) ? value.ToString() : null;
}
