using System.CommandLine;

namespace Mesh.Cli.Commands;

/// <summary><c>mesh publish NAME --token T</c>: fire-and-forget; the node logs the outcome.</summary>
public static class PublishCommand
{
    public static Command Build(CliContext context)
    {
        var input = new CallInput();
        var command = new Command("publish", "Trigger a function without waiting for an answer (the node logs the outcome)");
        input.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var subject = input.Subject(result);
            var headers = input.Headers(result, context);
            var data = await input.DataAsync(result, context, cancellationToken);
            await using var nats = await NatsOption.ConnectAsync(result.GetValue(input.Nats)!, cancellationToken);
            await nats.PublishAsync(subject, data, headers, cancellationToken: cancellationToken);
            await nats.PingAsync(cancellationToken);
            await context.Error.WriteLineAsync($"mesh: published to {subject}");
            return 0;
        });
        return command;
    }
}
