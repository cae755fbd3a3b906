using System.CommandLine;
using System.Text;
using Mesh.Cli.Output;
using Mesh.Cli.Parsing;
using Mesh.Contracts.Wire;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>mesh logs [FUNCTION] [--since 10m] [--follow]</c>: what functions logged and how each
/// invocation ended, as nodes publish it on <c>mesh.log.FUNCTION</c>. History comes from the
/// <c>MESH_LOGS</c> stream <c>mesh deploy</c> declares; without it, <c>--follow</c> still shows
/// what happens from now on.
/// </summary>
public static class LogsCommand
{
    public static Command Build(CliContext context)
    {
        var function = new Argument<string?>("FUNCTION") { Description = "Only this function (default: all)", Arity = ArgumentArity.ZeroOrOne };
        var since = new Option<string>("--since") { Description = "How far back to start, e.g. 30s, 10m, 1h (the stream keeps an hour)", DefaultValueFactory = _ => "10m" };
        var follow = new Option<bool>("--follow", "-F") { Description = "Keep printing new entries until Ctrl-C" };
        var output = new OutputOption();
        var nats = new NatsOption(context);
        var command = new Command("logs", "Print function log lines and invocation outcomes (function, invocation, token id, step, status, µs)") { function, since, follow };
        output.AddTo(command);
        nats.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var name = result.GetValue(function);
            if (name is not null && !FunctionName.IsValid(name))
            {
                throw CliException.Usage($"'{PrintableText.Clean(name, 80)}' is not a valid function name");
            }

            var start = context.Time.GetUtcNow() - Units.Duration(result.GetValue(since)!, "--since");
            var subject = name is null ? Subjects.LogPrefix + ">" : Subjects.ForLog(name);
            var json = output.IsJson(result);
            await using var connection = await nats.ConnectAsync(result, cancellationToken);
            var js = new NatsJSContext(connection);
            var hasStream = await HasStreamAsync(js, cancellationToken);
            try
            {
                if (hasStream)
                {
                    await FromStreamAsync(js, subject, start, result.GetValue(follow), json, context, cancellationToken);
                }
                else if (result.GetValue(follow))
                {
                    await context.Error.WriteLineAsync($"mesh: note: no {Subjects.LogStream} stream ('mesh deploy' declares it), so no history: showing entries from now on");
                    await foreach (var msg in connection.SubscribeAsync<byte[]>(subject, cancellationToken: cancellationToken))
                    {
                        await PrintAsync(msg.Subject, subject, msg.Data, json, context);
                    }
                }
                else
                {
                    throw new CliException("logs.no_stream", $"no {Subjects.LogStream} stream keeps logs on this NATS: run 'mesh deploy' once (it declares it), or use --follow to see entries from now on");
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl-C ends --follow: that is how it is meant to stop.
            }

            return 0;
        });
        return command;
    }

    private static async Task FromStreamAsync(NatsJSContext js, string subject, DateTimeOffset start, bool follow, bool json, CliContext context, CancellationToken cancellationToken)
    {
        // nats-server 2.9 ignores the filter an ordered consumer sends (2.10 applies it), so every
        // entry is checked against the subject here too.
        var consumer = await js.CreateOrderedConsumerAsync(Subjects.LogStream, new NatsJSOrderedConsumerOpts
        {
            FilterSubjects = [subject],
            DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartTime,
            OptStartTime = start,
        }, cancellationToken);
        if (follow)
        {
            await foreach (var msg in consumer.ConsumeAsync<byte[]>(cancellationToken: cancellationToken))
            {
                await PrintAsync(msg.Subject, subject, msg.Data, json, context);
            }

            return;
        }

        // History only: fetch what is there now, then stop.
        for (var got = -1; got != 0;)
        {
            got = 0;
            await foreach (var msg in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 500 }, cancellationToken: cancellationToken))
            {
                got++;
                await PrintAsync(msg.Subject, subject, msg.Data, json, context);
            }
        }
    }

    private static async Task PrintAsync(string arrivedOn, string wanted, byte[]? data, bool json, CliContext context)
    {
        if (wanted != arrivedOn && !wanted.EndsWith('>'))
        {
            return;
        }

        // An entry names its function; one published on another function's subject is not shown there.
        var function = Subjects.FunctionOfLog(arrivedOn);
        foreach (var entry in FunctionLogText.Parse(data ?? []).Where(e => e.Function == function))
        {
            await context.Out.WriteLineAsync(json ? System.Text.Json.JsonSerializer.Serialize(entry) : FunctionLogText.Format(entry, context.Colour));
        }
    }

    private static async Task<bool> HasStreamAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        try
        {
            await js.GetStreamAsync(Subjects.LogStream, cancellationToken: cancellationToken);
            return true;
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            return false;
        }
    }
}
