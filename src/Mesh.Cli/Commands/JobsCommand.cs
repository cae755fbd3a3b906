using System.CommandLine;
using System.Text;
using Mesh.Contracts.Wire;
using Mesh.Node.Jobs;
using NATS.Client.JetStream;

namespace Mesh.Cli.Commands;

/// <summary><c>mesh jobs dead</c>: the durable jobs that will not run again, with why (oldest first).</summary>
public static class JobsCommand
{
    public static Command Build(CliContext context)
    {
        var nats = new NatsOption(context);
        var limit = new Option<int>("--limit") { Description = "At most this many", DefaultValueFactory = _ => 100 };
        var dead = new Command("dead", "List dead letters: jobs that failed for good, with their code, deliveries and input") { limit };
        nats.AddTo(dead);
        dead.SetAction(async (result, cancellationToken) =>
        {
            if (result.GetValue(limit) < 1)
            {
                throw CliException.Usage("--limit must be at least 1");
            }

            await using var connection = await nats.ConnectAsync(result, cancellationToken);
            var js = new NatsJSContext(connection);
            try
            {
                // Asked first, so a stream that is not there, or not readable, answers at once.
                await js.GetStreamAsync(JobSubjects.DeadStream, cancellationToken: cancellationToken);
            }
            catch (NatsJSApiException e) when (e.Error.Code == 404)
            {
                return 0;
            }

            // An ordered consumer retries its creation for as long as it is refused: bounded here.
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                var consumer = await js.CreateOrderedConsumerAsync(JobSubjects.DeadStream, cancellationToken: bounded.Token);
                await foreach (var msg in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = result.GetValue(limit) }, cancellationToken: bounded.Token))
                {
                    string Header(string name) => msg.Headers?.TryGetValue(name, out var value) == true ? value.ToString() : "-";
                    var function = msg.Subject[JobSubjects.DeadPrefix.Length..];
                    await context.Out.WriteLineAsync(
                        $"{function}\t{Header(MeshHeaders.Status)}\tdeliveries={Header(JobSubjects.DeliveriesHeader)}\t{Header(MeshHeaders.Message)}\tinput={Encoding.UTF8.GetString(msg.Data ?? [])}");
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new CliException("nats.no_response", $"the dead letters could not be read within 10 s (may this NATS user read {JobSubjects.DeadStream}?)");
            }

            return 0;
        });
        return new Command("jobs", "Durable jobs (mesh publish --durable)") { dead };
    }
}
