using System.CommandLine;
using System.Text;
using Mesh.Cli.Output;
using Mesh.Cli.Parsing;
using Mesh.Contracts.Wire;
using NATS.Client.Core;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>mesh call NAME --token T</c>: a request to <c>mesh.fn.NAME</c>; the output on stdout (of a
/// chain: its last step's; of a fan-out: a JSON object of each branch's), or the error code, the
/// step that failed and the message on stderr with a non-zero exit. 90% of the wait is sent as the
/// chain's budget, so no step starts after the caller has given up.
/// </summary>
public static class CallCommand
{
    public static Command Build(CliContext context)
    {
        var input = new CallInput();
        var timeout = new Option<string>("--timeout") { Description = "How long to wait for the answer", DefaultValueFactory = _ => "30s" };
        var command = new Command("call", "Call a function and print its output");
        input.AddTo(command);
        command.Add(timeout);
        command.SetAction(async (result, cancellationToken) =>
        {
            var subject = input.Subject(result);
            var headers = input.Headers(result, context);
            var data = await input.DataAsync(result, context, cancellationToken);
            var wait = Units.Duration(result.GetValue(timeout)!, "--timeout");
            // 90% of the wait: a step that runs out of budget still has time to say so before we stop listening.
            headers[MeshHeaders.Budget] = ((long)(wait.TotalMilliseconds * 0.9)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await using var nats = await NatsOption.ConnectAsync(result.GetValue(input.Nats)!, cancellationToken);

            NatsMsg<byte[]> reply;
            try
            {
                reply = await nats.RequestAsync<byte[], byte[]>(subject, data, headers, replyOpts: new NatsSubOpts { Timeout = wait }, cancellationToken: cancellationToken);
            }
            catch (NatsNoRespondersException)
            {
                throw new CliException(ErrorCode.NodeUnavailable.ToWire(), $"no node is serving {subject} (is a node running on this NATS?)");
            }
            catch (NatsNoReplyException)
            {
                throw new CliException("timeout", $"no answer from {subject} within {wait.TotalSeconds:0.###} s");
            }

            if (reply.HasNoResponders)
            {
                throw new CliException(ErrorCode.NodeUnavailable.ToWire(), $"no node is serving {subject} (is a node running on this NATS?)");
            }

            string? Header(string name) => reply.Headers?.TryGetValue(name, out var value) == true ? value.ToString() : null;
            if (Header(MeshHeaders.Denied) is { } denied)
            {
                await context.Error.WriteLineAsync($"mesh: note: the function was refused: {denied}");
            }

            var status = Header(MeshHeaders.Status);
            if (status != "ok")
            {
                var message = Header(MeshHeaders.Message) ?? "no Mesh-Status in the reply: is something else answering on this subject?";
                var step = Header(MeshHeaders.Step) is { } number && number != "1" ? $"step {number} ({Header(MeshHeaders.Function)}): " : "";
                throw new CliException(status ?? "reply.unknown", step + message);
            }

            await context.Out.WriteLineAsync(Header(MeshHeaders.FanOut) is null ? Encoding.UTF8.GetString(reply.Data ?? []) : FanOutJson.From(reply.Data ?? []));
            return 0;
        });
        return command;
    }
}
