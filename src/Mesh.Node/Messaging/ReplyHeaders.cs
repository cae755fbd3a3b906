using System.Globalization;
using Mesh.Contracts.Wire;
using Mesh.Node.Chaining;
using NATS.Client.Core;

namespace Mesh.Node.Messaging;

/// <summary>
/// The headers of every reply: <c>Mesh-Status</c>, the function that answered and its step, and
/// what else applies (<c>Mesh-Message</c> for errors, <c>Mesh-Denied</c>, <c>Mesh-Fanout</c>).
/// </summary>
public static class ReplyHeaders
{
    public static NatsHeaders Ok(string function, int step, string? denied, string? fanOut)
    {
        var headers = Common("ok", function, step, denied);
        if (fanOut is not null)
        {
            headers[MeshHeaders.FanOut] = fanOut;
        }

        return headers;
    }

    /// <summary>An error naming the step that failed; <paramref name="message"/> must hold no line break.</summary>
    public static NatsHeaders Error(ChainAnswer answer, string message)
    {
        var headers = Common(answer.Error.Code.ToWire(), answer.Function, answer.Step, answer.Denied);
        headers[MeshHeaders.Message] = message;
        return headers;
    }

    private static NatsHeaders Common(string status, string function, int step, string? denied)
    {
        var headers = new NatsHeaders
        {
            [MeshHeaders.Status] = status,
            [MeshHeaders.Function] = function,
            [MeshHeaders.Step] = step.ToString(CultureInfo.InvariantCulture),
        };

        // On an error too: a refusal is often why the function failed.
        if (denied is not null)
        {
            headers[MeshHeaders.Denied] = denied;
        }

        return headers;
    }
}
