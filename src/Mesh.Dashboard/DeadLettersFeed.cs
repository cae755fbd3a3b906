using Mesh.Client;
using Microsoft.Extensions.Hosting;
using NATS.Client.Core;

namespace Mesh.Dashboard;

/// <summary>
/// The dead letters (durable jobs that failed for good), read every few seconds, the oldest 100:
/// their function, code, deliveries, message and token id. Not their input, which may be anyone's
/// data: the page shows its length. Retrying one changes state, so the page only says how
/// (<c>mesh jobs retry</c>, with a token).
/// </summary>
public sealed class DeadLettersFeed(INatsConnection nats, TimeProvider time) : BackgroundService
{
    public const int Shown = 100;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(3);
    private volatile IReadOnlyList<DeadLetterRow> _letters = [];

    public IReadOnlyList<DeadLetterRow> Letters => _letters;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await DeadLetter.ReadAsync(nats, Shown, TimeSpan.FromSeconds(5), stoppingToken) is { } letters)
                {
                    _letters = [.. letters.Select(l => new DeadLetterRow(l.Seq, l.Function, l.Status, l.Deliveries, l.Message, l.TokenId, l.Input.Length))];
                }

                await Task.Delay(Interval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (NatsException)
            {
                // NATS away or the stream unreadable: the last answer stays until the next.
                await Task.Delay(Interval, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}

/// <summary>A dead letter as the page shows it: everything but its input, which is only measured.</summary>
public sealed record DeadLetterRow(ulong Seq, string Function, string Status, int Deliveries, string Message, string TokenId, int InputBytes);
