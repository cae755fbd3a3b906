using Mesh.Contracts.Wire;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Mesh.Node.Jobs;

/// <summary>
/// The streams and the shared consumer durable jobs live in, declared one way by whoever declares
/// them. An operator command (<c>mesh deploy</c>) creates or updates them; a node only opens them,
/// so a node's NATS user needs no right to create, update or delete streams, and nothing can steer
/// a node into reconfiguring them.
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
    public static async Task DeclareAsync(NatsJSContext js, JobOptions options, TimeSpan wallTime, int jobReplicas, int deadReplicas, CancellationToken cancellationToken)
    {
        await js.CreateOrUpdateStreamAsync(Jobs(options, jobReplicas), cancellationToken);
        await js.CreateOrUpdateStreamAsync(Dead(deadReplicas), cancellationToken);
        await js.CreateOrUpdateConsumerAsync(JobSubjects.JobStream, Consumer(options, wallTime), cancellationToken);
    }

    /// <summary>
    /// A node's: opens the consumer an operator declared. A node creates nothing: a stream it made
    /// would have one replica whatever the operator deployed, and the node's NATS user needs no
    /// right to make streams. Until <c>mesh deploy</c> has run, the node takes no jobs and says why.
    /// </summary>
    public static async Task<INatsJSConsumer> OpenAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        await js.GetStreamAsync(JobSubjects.DeadStream, cancellationToken: cancellationToken);
        return await js.GetConsumerAsync(JobSubjects.JobStream, JobSubjects.Consumer, cancellationToken);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
