using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Mesh.Node.Jobs;

/// <summary>
/// The streams and the shared consumer durable jobs live in, declared one way by whoever declares
/// them. An operator command (<c>mesh deploy</c>) creates or updates them. A node only opens them
/// and creates what is missing: it never changes what exists, so a node's NATS user needs no right
/// to update or delete streams, and nothing can steer a node into reconfiguring them.
/// </summary>
public static class JobStreams
{
    public static StreamConfig Jobs(JobOptions options, int replicas = 1) => new(JobSubjects.JobStream, [JobSubjects.JobPrefix + ">"])
    {
        Retention = StreamConfigRetention.Workqueue,
        DuplicateWindow = options.DuplicateWindow,
        Storage = StreamConfigStorage.File,
        NumReplicas = replicas,
    };

    public static StreamConfig Dead(int replicas = 1) => new(JobSubjects.DeadStream, [JobSubjects.DeadPrefix + ">"])
    {
        MaxAge = TimeSpan.FromDays(14),
        Storage = StreamConfigStorage.File,
        NumReplicas = replicas,
    };

    /// <summary>The consumer every node takes jobs from; acknowledgements may wait a whole invocation.</summary>
    public static ConsumerConfig Consumer(JobOptions options, TimeSpan wallTime) => new(JobSubjects.Consumer)
    {
        AckPolicy = ConsumerConfigAckPolicy.Explicit,
        AckWait = Max(options.AckWait, wallTime + TimeSpan.FromSeconds(5)),
        MaxDeliver = options.MaxDeliveries,
        MaxAckPending = 1000,
    };

    /// <summary>The operator's declaration: creates, or updates to these settings, all three.</summary>
    public static async Task DeclareAsync(NatsJSContext js, JobOptions options, TimeSpan wallTime, int replicas, CancellationToken cancellationToken)
    {
        await js.CreateOrUpdateStreamAsync(Jobs(options, replicas), cancellationToken);
        await js.CreateOrUpdateStreamAsync(Dead(replicas), cancellationToken);
        await js.CreateOrUpdateConsumerAsync(JobSubjects.JobStream, Consumer(options, wallTime), cancellationToken);
    }

    /// <summary>A node's: opens the consumer, creating only what does not exist yet.</summary>
    public static async Task<INatsJSConsumer> OpenAsync(NatsJSContext js, JobOptions options, TimeSpan wallTime, CancellationToken cancellationToken)
    {
        await EnsureStreamAsync(js, Jobs(options), cancellationToken);
        await EnsureStreamAsync(js, Dead(), cancellationToken);
        try
        {
            return await js.GetConsumerAsync(JobSubjects.JobStream, JobSubjects.Consumer, cancellationToken);
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            return await js.CreateOrUpdateConsumerAsync(JobSubjects.JobStream, Consumer(options, wallTime), cancellationToken);
        }
    }

    private static async Task EnsureStreamAsync(NatsJSContext js, StreamConfig config, CancellationToken cancellationToken)
    {
        try
        {
            await js.GetStreamAsync(config.Name!, cancellationToken: cancellationToken);
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            await js.CreateStreamAsync(config, cancellationToken);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
