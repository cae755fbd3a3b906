using System.CommandLine;
using System.Text;
using Mesh.Cli.Parsing;
using Mesh.Contracts.Wire;
using NATS.Client.Core;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>mesh call NAME --token T</c>: a request to <c>mesh.fn.NAME</c>; the output on stdout, or the
/// error code and message on stderr with a non-zero exit.
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

            var status = reply.Headers?.TryGetValue(MeshHeaders.Status, out var s) == true ? s.ToString() : null;
            if (status != "ok")
            {
                var message = reply.Headers?.TryGetValue(MeshHeaders.Message, out var m) == true ? m.ToString() : "no Mesh-Status in the reply: is something else answering on this subject?";
                throw new CliException(status ?? "reply.unknown", message);
            }

            if (reply.Headers?.TryGetValue(MeshHeaders.Denied, out var denied) == true)
            {
                await context.Error.WriteLineAsync($"mesh: note: the function was refused: {denied}");
            }

            await context.Out.WriteLineAsync(Encoding.UTF8.GetString(reply.Data ?? []));
            return 0;
        });
        return command;
    }
}
