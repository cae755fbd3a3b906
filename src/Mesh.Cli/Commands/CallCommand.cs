using System.CommandLine;
using Mesh.Cli.Output;
using Mesh.Cli.Parsing;
using Mesh.Client;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>mesh call NAME --token T</c>: a request to <c>mesh.fn.NAME</c>; the output on stdout (of a
/// chain: its last step's; of a fan-out: a JSON object of each branch's), or the error code, the
/// step that failed and the message on stderr with a non-zero exit. 90% of the wait (a second less at least) is sent as the
/// chain's budget. Calls no node admitted are retried; timeouts only with <c>--idempotent</c>.
/// </summary>
public static class CallCommand
{
    public static Command Build(CliContext context)
    {
        var input = new CallInput(context);
        var timeout = new Option<string>("--timeout") { Description = "How long to wait for each attempt's answer", DefaultValueFactory = _ => "30s" };
        var retries = new Option<int>("--retries") { Description = "Further attempts when no node admitted the call (or, with --idempotent, it timed out)", DefaultValueFactory = _ => 2 };
        var idempotent = new Option<bool>("--idempotent") { Description = "Running the function twice is harmless: retry timeouts too" };
        var command = new Command("call", "Call a function and print its output");
        input.AddTo(command);
        command.Add(timeout);
        command.Add(retries);
        command.Add(idempotent);
        command.SetAction(async (result, cancellationToken) =>
        {
            var function = input.Function(result);
            var token = input.Token(result, context);
            var data = await input.DataAsync(result, context, cancellationToken);
            var options = new CallOptions
            {
                Timeout = Units.Duration(result.GetValue(timeout)!, "--timeout"),
                Retries = result.GetValue(retries) is var n and >= 0 ? n : throw CliException.Usage("--retries must not be negative"),
                Idempotent = result.GetValue(idempotent),
                Module = input.Module(result),
            };
            await using var nats = await input.Nats.ConnectAsync(result, options.Retries, cancellationToken);
            CallInput.CheckFits(nats, data, new NATS.Client.Core.NatsHeaders { [Contracts.Wire.MeshHeaders.Token] = token });

            var reply = await new MeshClient(nats).CallAsync(function, token, data, options, cancellationToken);
            if (reply.Denied is { } denied)
            {
                await context.Error.WriteLineAsync($"mesh: note: the function was refused: {denied}");
            }

            await context.Out.WriteLineAsync(CallReply.Text(reply));
            return 0;
        });
        return command;
    }
}
