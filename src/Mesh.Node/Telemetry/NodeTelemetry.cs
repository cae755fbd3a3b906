using Mesh.Node.Invocations;
using System.Diagnostics;
using Mesh.Contracts.Wire;
using Mesh.Node.Chaining;
using Mesh.Node.Messaging;

namespace Mesh.Node.Telemetry;

/// <summary>
/// A span per invocation on the <c>Mesh.Node</c> activity source, parented on the call's W3C
/// <c>traceparent</c>, so the steps of a chain, on whatever nodes, are one trace. Spans are only
/// built when something listens (the OpenTelemetry exporter, when configured, or a test).
/// </summary>
public sealed class NodeTelemetry : IDisposable
{
    public const string SourceName = "Mesh.Node";

    private readonly ActivitySource _source = new(SourceName, typeof(NodeTelemetry).Assembly.GetName().Version?.ToString());

    public Activity? StartInvocation(string subject, ChainPosition position)
    {
        if (!_source.HasListeners())
        {
            return null;
        }

        ActivityContext.TryParse(position.TraceParent, position.TraceState, isRemote: true, out var parent);
        var function = Subjects.FunctionOf(subject) ?? subject;
        var activity = _source.StartActivity($"invoke {function}", ActivityKind.Consumer, parent);
        activity?.SetTag("messaging.system", "nats")
            // The subject is the caller's text when it names no function.
            .SetTag("messaging.destination.name", PrintableText.Clean(subject, 256))
            .SetTag("mesh.function", function)
            .SetTag("mesh.step", position.Step);
        return activity;
    }

    public static void Complete(Activity? activity, InvocationOutcome outcome)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("mesh.token_id", outcome.TokenId)
            .SetTag("mesh.invocation_id", outcome.InvocationId)
            .SetTag("mesh.status", outcome.Error.Code.ToWire());
        if (!outcome.IsOk)
        {
            activity.SetStatus(ActivityStatusCode.Error, outcome.Error.Code.ToWire());
        }
    }

    public void Dispose() => _source.Dispose();
}
