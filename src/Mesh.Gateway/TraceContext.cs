using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Mesh.Gateway;

/// <summary>
/// The W3C trace context a call carries: the client's <c>traceparent</c> (and <c>tracestate</c>)
/// when it sent a valid one, so the call joins the client's trace, else a new trace, so every call
/// through the gateway can be found by its trace id.
/// </summary>
public readonly record struct TraceContext(string TraceParent, string? TraceState, string TraceId)
{
    public static TraceContext From(HttpRequest request)
    {
        var parent = request.Headers.TraceParent.ToString();
        var state = request.Headers.TraceState.ToString();
        if (parent.Length is > 0 and <= 64 && ActivityContext.TryParse(parent, state.Length == 0 ? null : state, out var context))
        {
            // A new span of ours under the client's: same trace, this hop's own id.
            var hop = new ActivityContext(context.TraceId, ActivitySpanId.CreateRandom(), context.TraceFlags);
            return new(Format(hop), state.Length is > 0 and <= 512 ? state : null, context.TraceId.ToHexString());
        }

        var fresh = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None);
        return new(Format(fresh), null, fresh.TraceId.ToHexString());
    }

    private static string Format(ActivityContext context) =>
        $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{((int)context.TraceFlags):x2}";
}
