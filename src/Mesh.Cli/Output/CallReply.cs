using System.Text;
using Mesh.Contracts.Wire;
using NATS.Client.Core;

namespace Mesh.Cli.Output;

/// <summary>
/// What a function's reply means to a person: the output as text (a fan-out's as JSON), or a
/// <see cref="CliException"/> with the code, the step that failed and the message.
/// </summary>
public static class CallReply
{
    public static async Task<NatsMsg<byte[]>> RequestAsync(INatsConnection nats, string subject, byte[] data, NatsHeaders headers, TimeSpan wait, CancellationToken cancellationToken)
    {
        NatsMsg<byte[]> reply;
        try
        {
            reply = await nats.RequestAsync<byte[], byte[]>(subject, data, headers, replyOpts: new NatsSubOpts { Timeout = wait }, cancellationToken: cancellationToken);
        }
        catch (NatsNoRespondersException)
        {
            throw NoNode(subject);
        }
        catch (NatsNoReplyException)
        {
            throw new CliException("timeout", $"no answer from {subject} within {wait.TotalSeconds:0.###} s");
        }

        return reply.HasNoResponders ? throw NoNode(subject) : reply;
    }

    /// <summary>The output to print, or the failure thrown.</summary>
    public static string Text(NatsMsg<byte[]> reply, bool indented = true)
    {
        var status = Header(reply, MeshHeaders.Status);
        if (status != "ok")
        {
            var message = Header(reply, MeshHeaders.Message) ?? "no Mesh-Status in the reply: is something else answering on this subject?";
            var step = Header(reply, MeshHeaders.Step) is { } number && number != "1" ? $"step {number} ({Header(reply, MeshHeaders.Function)}): " : "";
            throw new CliException(status ?? "reply.unknown", step + message);
        }

        return Header(reply, MeshHeaders.FanOut) is null ? Encoding.UTF8.GetString(reply.Data ?? []) : FanOutJson.From(reply.Data ?? [], indented);
    }

    public static string? Header(NatsMsg<byte[]> reply, string name) =>
        reply.Headers?.TryGetValue(name, out var value) == true ? value.ToString() : null;

    private static CliException NoNode(string subject) =>
        new(ErrorCode.NodeUnavailable.ToWire(), $"no node is serving {subject} (is a node running on this NATS?)");
}
