using System.CommandLine;
using Mesh.Cli.Output;
using Mesh.Cli.Parsing;
using Mesh.Contracts.Wire;

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

            var reply = await CallReply.RequestAsync(nats, subject, data, headers, wait, cancellationToken);
            if (CallReply.Header(reply, MeshHeaders.Denied) is { } denied)
            {
                await context.Error.WriteLineAsync($"mesh: note: the function was refused: {denied}");
            }

            await context.Out.WriteLineAsync(CallReply.Text(reply));
            return 0;
        });
        return command;
    }
}
