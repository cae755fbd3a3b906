using System.CommandLine;
using Mesh.Cli.Commands;

namespace Mesh.Cli;

/// <summary>The <c>mesh</c> command tree. One file per command under Commands/.</summary>
public static class MeshCli
{
    public static RootCommand Build(CliContext context) => new("Mesh: capability-secured WebAssembly functions over NATS")
    {
        KeysCommand.Build(context),
        GrantCommand.Build(context),
        TokenCommand.Build(context),
        DeployCommand.Build(context),
        CallCommand.Build(context),
        PublishCommand.Build(context),
        NodeCommand.Build(context),
        GatewayCommand.Build(context),
        DashboardCommand.Build(context),
        SchedulesCommand.Build(context),
        SecretsCommand.Service(context),
        SecretsCommand.Secret(context),
        KvCommand.Build(context),
        UpCommand.Build(context),
        NewCommand.Build(context),
        JobsCommand.Build(context),
        ContextCommand.Build(context),
        LogsCommand.Build(context),
        NodesCommand.Build(context),
        ListCommand.Build(context),
        RemoveCommand.Build(context),
        DoctorCommand.Build(context),
    };

    /// <summary>Runs a command line; returns the exit code. Never throws for user mistakes.</summary>
    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        // No response files: '@' means a file only where an option says so (--token @FILE), and
        // '--data @ada' is the text '@ada'.
        var parsed = Build(context).Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                // One line: System.CommandLine lists allowed values on lines of their own.
                var message = string.Join(' ', error.Message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                await context.Error.WriteLineAsync($"mesh: usage: {message}");
            }

            await context.Error.WriteLineAsync("Run 'mesh --help' (or 'mesh COMMAND --help') for usage.");
            return CliException.UsageExitCode;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = context.Out, Error = context.Error, EnableDefaultExceptionHandler = false }, cancellationToken);
        }
        catch (CliException e)
        {
            await context.Error.WriteLineAsync($"mesh: {e.Code}: {e.Message}");
            return e.ExitCode;
        }
        catch (Exception e) when (e is NATS.Client.Core.NatsException or NATS.Client.KeyValueStore.NatsKVException or NATS.Client.ObjectStore.NatsObjException)
        {
            // NATS said no, or nothing: one line with what happened, as for any other failure.
            await context.Error.WriteLineAsync($"mesh: {NatsFailure(e)}");
            return 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await context.Error.WriteLineAsync("mesh: cancelled");
            return 130;
        }
        catch (Exception e)
        {
            // A case no command foresaw: still one line, never a stack trace. The type names the bug.
            await context.Error.WriteLineAsync($"mesh: cli.internal: {e.GetType().Name}: {Contracts.Wire.PrintableText.Clean(e.Message, 300)}");
            return 70;
        }
    }

    private static string NatsFailure(Exception e) => e switch
    {
        NATS.Client.Core.NatsPayloadTooLargeException =>
            $"request.too_large: {Contracts.Wire.PrintableText.Clean(e.Message, 300)} (give a smaller input; a function's input must fit in one NATS message)",
        NATS.Client.JetStream.NatsJSApiNoResponseException =>
            "nats.no_response: JetStream did not answer (is it enabled, and may this NATS user use its API? see docs/operations.md, NATS permissions)",
        NATS.Client.JetStream.NatsJSApiException api => $"nats.jetstream: {Contracts.Wire.PrintableText.Clean(api.Error.Description ?? api.Message, 300)} (code {api.Error.Code})",
        _ => $"nats.error: {Contracts.Wire.PrintableText.Clean(e.Message, 300)}",
    };
}
