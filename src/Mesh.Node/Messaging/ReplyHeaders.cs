using System.Globalization;
using Mesh.Contracts.Wire;
using Mesh.Node.Chaining;
using NATS.Client.Core;

namespace Mesh.Node.Messaging;

/// <summary>
/// The headers of every reply: <c>Mesh-Status</c>, the function that answered and its step, and
/// what else applies (<c>Mesh-Message</c> for errors, <c>Mesh-Denied</c>, <c>Mesh-Fanout</c>).
/// Messages and refusals can carry a guest's or a caller's text: here, where every reply's headers
/// are made, that text is made printable and cut (<see cref="PrintableText"/>), so it can neither
/// break a header nor make a reply too large.
/// </summary>
public static class ReplyHeaders
{
    /// <summary>Longest <c>Mesh-Message</c>.</summary>
    public const int MaxMessage = 1024;

    /// <summary>Longest <c>Mesh-Denied</c>.</summary>
    public const int MaxDenied = 1024;

    /// <param name="httpResponse">The HTTP status and headers the function set (<c>http_respond</c>, checked there).</param>
    public static NatsHeaders Ok(string function, int step, string? denied, string? fanOut, byte[]? httpResponse = null)
    {
        var headers = Common("ok", function, step, denied);
        if (fanOut is not null)
        {
            headers[MeshHeaders.FanOut] = fanOut;
        }

        if (httpResponse is not null)
        {
            headers[MeshHeaders.HttpResponse] = Contracts.HostCalls.HttpTrigger.Encode(httpResponse);
        }

        return headers;
    }

    /// <summary>An error naming the step that failed.</summary>
    public static NatsHeaders Error(ChainAnswer answer) =>
        Error(answer, Message(answer.Error));

    /// <summary>An error whose message was made header-safe with <see cref="Message"/>.</summary>
    public static NatsHeaders Error(ChainAnswer answer, string message)
    {
        var headers = Common(answer.Error.Code.ToWire(), answer.Function, answer.Step, answer.Denied);
        headers[MeshHeaders.Message] = message;
        // The NATS micro-service error headers, for clients that know those and not Mesh's.
        headers["Nats-Service-Error"] = message;
        headers["Nats-Service-Error-Code"] = ((int)answer.Error.Code).ToString(CultureInfo.InvariantCulture);
        return headers;
    }

    /// <summary>An error's message as a header may carry it.</summary>
    public static string Message(MeshError error) => PrintableText.Clean(error.Message, MaxMessage);

    private static NatsHeaders Common(string status, string function, int step, string? denied)
    {
        var headers = new NatsHeaders
        {
            [MeshHeaders.Status] = status,
            // A function name, or, for a subject that names none, the caller's subject.
            [MeshHeaders.Function] = PrintableText.Clean(function, FunctionName.MaxLength + Subjects.FunctionPrefix.Length),
            [MeshHeaders.Step] = step.ToString(CultureInfo.InvariantCulture),
        };

        // On an error too: a refusal is often why the function failed.
        if (denied is not null)
        {
            headers[MeshHeaders.Denied] = PrintableText.Clean(denied, MaxDenied);
        }

        return headers;
    }
}
