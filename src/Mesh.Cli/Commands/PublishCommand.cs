using Mesh.Contracts.Wire;
using System.CommandLine;
using NATS.Client.JetStream;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>mesh publish NAME --token T</c>: fire-and-forget over core NATS (at most once; the node logs
/// the outcome). With <c>--durable</c> the call is a job in JetStream: stored before this returns,
/// run at least once, retried with backoff, and dead-lettered when it cannot succeed; <c>--id</c>
/// makes publishing it twice run it once.
/// </summary>
public static class PublishCommand
{
    public static Command Build(CliContext context)
    {
        var input = new CallInput(context);
        var durable = new Option<bool>("--durable") { Description = "A job in JetStream: kept until a node has run it (at least once), retried, dead-lettered if it cannot succeed" };
        var id = new Option<string?>("--id") { Description = "With --durable: a message id; the same id published again within two minutes runs once" };
        var command = new Command("publish", "Trigger a function without waiting for its answer") { durable, id };
        input.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var function = input.Function(result);
            if (!result.GetValue(durable) && result.GetValue(id) is not null)
            {
                throw CliException.Usage("--id only means something with --durable (it de-duplicates durable jobs)");
            }

            var headers = input.Headers(result, context);
            var data = await input.DataAsync(result, context, cancellationToken);
            await using var nats = await input.Nats.ConnectAsync(result, cancellationToken);
            CallInput.CheckFits(nats, data, headers);
            if (!result.GetValue(durable))
            {
                var subject = input.Subject(result);
                await nats.PublishAsync(subject, data, headers, cancellationToken: cancellationToken);
                await nats.PingAsync(cancellationToken);
                await context.Error.WriteLineAsync($"mesh: published to {subject}");
                return 0;
            }

            var js = new NatsJSContext(nats);
            NATS.Client.JetStream.Models.PubAckResponse ack;
            try
            {
                ack = await js.PublishAsync(JobSubjects.JobPrefix + function, data, headers: headers, opts: new NatsJSPubOpts { MsgId = result.GetValue(id) }, cancellationToken: cancellationToken);
            }
            catch (NatsJSPublishNoResponseException)
            {
                throw new CliException("node.unavailable", $"no {JobSubjects.JobStream} stream: run mesh deploy once on this NATS (it declares the stream)");
            }
            if (ack.Duplicate)
            {
                await context.Out.WriteLineAsync($"duplicate of job {ack.Seq}: not queued again");
                return 0;
            }

            ack.EnsureSuccess();
            await context.Out.WriteLineAsync($"job {ack.Seq} queued on {JobSubjects.JobPrefix}{function}");
            return 0;
        });
        return command;
    }
}
