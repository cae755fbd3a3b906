using System.CommandLine;
using System.Text;
using Mesh.Client;
using Mesh.Contracts.Wire;
using NATS.Client.JetStream;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>mesh jobs dead</c>: the durable jobs that will not run again, with why (oldest first);
/// <c>mesh jobs retry</c> queues them again with a token (dead letters keep which token, never the
/// token); <c>mesh jobs purge</c> deletes them.
/// </summary>
public static class JobsCommand
{
    public static Command Build(CliContext context)
    {
        var nats = new NatsOption(context);
        var limit = new Option<int>("--limit") { Description = "At most this many", DefaultValueFactory = _ => 100 };
        var output = new Output.OutputOption();
        var dead = new Command("dead", "List dead letters: jobs that failed for good, with their code, deliveries and input") { limit };
        nats.AddTo(dead);
        output.AddTo(dead);
        dead.SetAction(async (result, cancellationToken) =>
        {
            if (result.GetValue(limit) < 1)
            {
                throw CliException.Usage("--limit must be at least 1");
            }

            await using var connection = await nats.ConnectAsync(result, cancellationToken);
            var letters = await DeadLetter.ReadAsync(connection, result.GetValue(limit), TimeSpan.FromSeconds(10), cancellationToken)
                ?? throw new CliException("nats.no_response", $"the dead letters could not be read within 10 s (may this NATS user read {JobSubjects.DeadStream}?)");
            if (output.IsJson(result))
            {
                await output.WriteRecordAsync(result, context.Out, letters, []);
            }
            else
            {
                foreach (var letter in letters)
                {
                    // Each field cleaned on its own: a caller's input or a guest's message cannot
                    // move the cursor or forge a column.
                    string C(string text) => PrintableText.Clean(text, 4096);
                    await context.Out.WriteLineAsync(
                        $"seq={letter.Seq}\t{C(letter.Function)}\t{C(letter.Status)}\tdeliveries={letter.Deliveries}\t{C(letter.Message)}\tinput={C(letter.Input)}");
                }
            }

            return 0;
        });
        return new Command("jobs", "Durable jobs (mesh publish --durable)") { dead, Retry(context), Purge(context) };
    }

    private static Command Retry(CliContext context)
    {
        var function = new Argument<string>("FUNCTION") { Description = "Whose dead letters to queue again" };
        var token = new Option<string>("--token") { Description = "The token to run them with: its text, or @FILE", Required = true };
        var seq = new Option<ulong?>("--seq") { Description = "Only this dead letter (its seq= in 'mesh jobs dead')" };
        var nats = new NatsOption(context);
        var command = new Command("retry", "Queue a function's dead letters again as new jobs, with a token you give; each is removed once queued") { function, token, seq };
        nats.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var name = result.GetValue(function)!;
            if (!FunctionName.IsValid(name))
            {
                throw CliException.Usage($"'{PrintableText.Clean(name, 80)}' is not a valid function name");
            }

            var tokenText = Contracts.Tokens.TokenCodec.ToText(Parsing.TokenArgument.Read(result.GetValue(token)!, context));
            await using var connection = await nats.ConnectAsync(result, cancellationToken);
            var js = new NatsJSContext(connection);
            var retried = 0;
            foreach (var (sequence, input) in await DeadLettersAsync(js, name, result.GetValue(seq), cancellationToken))
            {
                var headers = new NATS.Client.Core.NatsHeaders { [MeshHeaders.Token] = tokenText };
                await js.PublishAsync(JobSubjects.JobPrefix + name, input, headers: headers, cancellationToken: cancellationToken);
                await js.DeleteMessageAsync(JobSubjects.DeadStream, new NATS.Client.JetStream.Models.StreamMsgDeleteRequest { Seq = sequence }, cancellationToken);
                retried++;
            }

            if (retried == 0 && result.GetValue(seq) is { } wanted)
            {
                throw new CliException("jobs.not_found", $"no dead letter seq={wanted} for function '{name}'");
            }

            await context.Error.WriteLineAsync($"mesh: queued {retried} dead letter(s) of '{name}' again");
            return 0;
        });
        return command;
    }

    private static Command Purge(CliContext context)
    {
        var function = new Argument<string?>("FUNCTION") { Description = "Only this function's dead letters (default: all)", Arity = ArgumentArity.ZeroOrOne };
        var nats = new NatsOption(context);
        var command = new Command("purge", "Delete dead letters for good") { function };
        nats.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var name = result.GetValue(function);
            if (name is not null && !FunctionName.IsValid(name))
            {
                throw CliException.Usage($"'{PrintableText.Clean(name, 80)}' is not a valid function name");
            }

            await using var connection = await nats.ConnectAsync(result, cancellationToken);
            var js = new NatsJSContext(connection);
            try
            {
                var purged = await js.PurgeStreamAsync(JobSubjects.DeadStream, new NATS.Client.JetStream.Models.StreamPurgeRequest { Filter = name is null ? null : JobSubjects.DeadPrefix + name }, cancellationToken);
                await context.Error.WriteLineAsync($"mesh: purged {purged.Purged} dead letter(s)");
            }
            catch (NatsJSApiException e) when (e.Error.Code == 404)
            {
                await context.Error.WriteLineAsync("mesh: purged 0 dead letter(s): there is no dead letter stream yet");
            }

            return 0;
        });
        return command;
    }

    // A function's dead letters (or one of them), read within 10 s.
    private static async Task<List<(ulong Sequence, byte[] Input)>> DeadLettersAsync(NatsJSContext js, string function, ulong? only, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(TimeSpan.FromSeconds(10));
        var letters = new List<(ulong, byte[])>();
        try
        {
            var consumer = await js.CreateOrderedConsumerAsync(JobSubjects.DeadStream, new NatsJSOrderedConsumerOpts { FilterSubjects = [JobSubjects.DeadPrefix + function] }, bounded.Token);
            for (var got = -1; got != 0;)
            {
                got = 0;
                await foreach (var msg in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 500 }, cancellationToken: bounded.Token))
                {
                    got++;
                    // nats-server 2.9 ignores an ordered consumer's filter: checked here too.
                    var sequence = msg.Metadata?.Sequence.Stream ?? 0;
                    if (msg.Subject == JobSubjects.DeadPrefix + function && (only is null || only == sequence))
                    {
                        letters.Add((sequence, msg.Data ?? []));
                    }
                }
            }
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            return [];
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException("nats.no_response", $"the dead letters could not be read within 10 s (may this NATS user read {JobSubjects.DeadStream}?)");
        }

        return letters;
    }
}
