using Mesh.Cli.Parsing;
using NATS.Client.JetStream;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Mesh.Cli.Deployment;

/// <summary>A write to JetStream that a cluster electing a leader does not answer, tried until stored or a deadline.</summary>
public static class JetStreamWrite
{
    /// <summary>
    /// Runs <paramref name="write"/> until it succeeds, retrying what a JetStream electing a leader
    /// answers (nothing, no responders, 503) with backoff, until <paramref name="deadline"/>.
    /// </summary>
    public static async Task UntilStoredAsync(TimeSpan deadline, Func<CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var pipeline = new ResiliencePipelineBuilder()
            .AddTimeout(deadline)
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder()
                    .Handle<NatsJSApiNoResponseException>()
                    .Handle<NatsJSPublishNoResponseException>()
                    .Handle<NATS.Client.Core.NatsNoRespondersException>()
                    .Handle<NATS.Client.Core.NatsNoReplyException>()
                    .Handle<TimeoutException>()
                    .Handle<NatsJSApiException>(e => e.Error.Code is 503 or 408),
                MaxRetryAttempts = int.MaxValue,
                Delay = TimeSpan.FromMilliseconds(250),
                BackoffType = DelayBackoffType.Exponential,
                MaxDelay = TimeSpan.FromSeconds(2),
                UseJitter = true,
            })
            .Build();
        try
        {
            await pipeline.ExecuteAsync(async ct => await write(ct), cancellationToken);
        }
        catch (TimeoutRejectedException)
        {
            throw new CliException("nats.no_response", $"JetStream did not confirm it within {Units.Describe(deadline)} (a cluster without a leader for the bucket, or no JetStream): it may or may not be stored; run the command again");
        }
    }
}
