using System.Text;
using Mesh.Contracts.Wire;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Mesh.Client;

/// <summary>
/// A durable job that failed for good (<c>MESH_DEAD</c>): its function, code, deliveries, message,
/// the id of its token (never the token) and its input. Read by <c>mesh jobs dead</c> and the dashboard.
/// </summary>
public sealed record DeadLetter(ulong Seq, string Function, string Status, int Deliveries, string Message, string TokenId, string Input)
{
    /// <summary>
    /// The oldest <paramref name="limit"/> dead letters; none when the stream does not exist; null
    /// when they could not be read within <paramref name="within"/> (a user who may not read them).
    /// </summary>
    public static async Task<List<DeadLetter>?> ReadAsync(INatsConnection nats, int limit, TimeSpan within, CancellationToken cancellationToken)
    {
        var js = new NatsJSContext(nats);
        try
        {
            // Asked first, so a stream that is not there, or not readable, answers at once.
            await js.GetStreamAsync(JobSubjects.DeadStream, cancellationToken: cancellationToken);
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            return [];
        }

        // An ordered consumer retries its creation for as long as it is refused: bounded here.
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(within);
        try
        {
            var consumer = await js.CreateOrderedConsumerAsync(JobSubjects.DeadStream, cancellationToken: bounded.Token);
            var letters = new List<DeadLetter>();
            await foreach (var msg in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = limit }, cancellationToken: bounded.Token))
            {
                string Header(string name) => msg.Headers?.TryGetValue(name, out var value) == true ? value.ToString() : "-";
                letters.Add(new DeadLetter(
                    msg.Metadata?.Sequence.Stream ?? 0,
                    msg.Subject[JobSubjects.DeadPrefix.Length..],
                    Header(MeshHeaders.Status),
                    int.TryParse(Header(JobSubjects.DeliveriesHeader), System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0,
                    Header(MeshHeaders.Message),
                    Header(JobSubjects.TokenIdHeader),
                    Encoding.UTF8.GetString(msg.Data ?? [])));
            }

            return letters;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
