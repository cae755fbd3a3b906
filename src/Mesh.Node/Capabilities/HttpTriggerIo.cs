using Mesh.Contracts.HostCalls;
using Mesh.Node.Sandbox;

namespace Mesh.Node.Capabilities;

/// <summary>
/// The calls an invocation that came over HTTP uses to read its request's method, path, query and
/// headers, and to set its response's status and headers. They need no grant: like the input and
/// the output, they reach nothing outside the invocation. A call that did not come over HTTP reads
/// "not found" and may still set a response (nobody reads it), so one module serves both ways.
/// </summary>
public sealed class HttpTriggerIo : ICapability
{
    public IReadOnlyList<HostCall> HostCalls =>
    [
        new(GuestAbi.HttpInfo, [], "n", static call =>
            call.Context.HttpRequest is { } request ? call.Context.SetResult(request) : HostStatus.NotFound),
        new(GuestAbi.HttpRespond, ["ptr", "len"], "status", static call =>
        {
            if (!call.TrySpan(0, out var source, 64 * 1024))
            {
                return HostStatus.OutOfBounds;
            }

            // Checked here, where the guest can be told, and again by the gateway.
            var bytes = source.ToArray();
            if (!HttpTrigger.TryReadResponse(bytes, out _, out _))
            {
                return HostStatus.Invalid;
            }

            call.Context.HttpResponse = bytes;
            return HostStatus.Ok;
        }),
    ];
}
