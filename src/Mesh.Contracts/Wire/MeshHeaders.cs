namespace Mesh.Contracts.Wire;

/// <summary>NATS header names Mesh reads and writes.</summary>
public static class MeshHeaders
{
    /// <summary>The capability token, base64url without padding.</summary>
    public const string Token = "Mesh-Token";

    /// <summary>Optional: which of the grant's module digests to run (<c>sha256:HEX</c>).</summary>
    public const string Module = "Mesh-Module";

    /// <summary>On replies: <c>ok</c> or an error's wire code.</summary>
    public const string Status = "Mesh-Status";

    /// <summary>On error replies: a message for humans.</summary>
    public const string Message = "Mesh-Message";

    /// <summary>On replies: capabilities the function asked for and was refused, comma-separated.</summary>
    public const string Denied = "Mesh-Denied";

    /// <summary>On calls made by a chain: the functions before this one, comma-separated, for loop detection and the step number.</summary>
    public const string Path = "Mesh-Path";

    /// <summary>Optional on calls: milliseconds the whole rest of the chain may take; each step passes on what it left.</summary>
    public const string Budget = "Mesh-Budget";

    /// <summary>
    /// On calls: how many invocations this call may still cause, itself included. Nodes cap it at
    /// their own bound (<c>Mesh:Execution:MaxInvocationsPerCall</c>) and write each hop's share on.
    /// </summary>
    public const string Invocations = "Mesh-Invocations";

    /// <summary>On replies: the function that answered (for an error: the step that failed).</summary>
    public const string Function = "Mesh-Function";

    /// <summary>On replies: that function's place in the chain, 1 for the function the caller called.</summary>
    public const string Step = "Mesh-Step";

    /// <summary>On a fan-out's reply: the functions whose outputs the MessagePack map in the body holds, comma-separated.</summary>
    public const string FanOut = "Mesh-Fanout";

    /// <summary>W3C trace context, carried from step to step so a chain is one trace.</summary>
    public const string TraceParent = "traceparent";

    public const string TraceState = "tracestate";

    /// <summary>On calls from the HTTP gateway: the request's method, path, query and forwarded headers (base64url MessagePack, <c>HostCalls.HttpTrigger</c>).</summary>
    public const string HttpRequest = "Mesh-Http-Request";

    /// <summary>On replies to such calls, when the function set them: the HTTP status and headers (base64url MessagePack).</summary>
    public const string HttpResponse = "Mesh-Http-Response";

    /// <summary>
    /// Optional on calls: milliseconds after reaching a node within which the call must start. The
    /// node then answers <see cref="Started"/> (a first, empty reply) just before the function
    /// runs, and never starts the call later than that (it answers <c>node.overloaded</c>): a
    /// caller that heard nothing by then may try another node without the call running twice.
    /// </summary>
    public const string StartWithin = "Mesh-Start-Within";

    /// <summary>The <see cref="Status"/> of the first reply to a call that asked for <see cref="StartWithin"/>: it started.</summary>
    public const string Started = "started";
}
