using Mesh.Contracts.Wire;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Mesh.Node.Jobs;

/// <summary>
/// The streams and the shared consumers durable jobs and schedule ticks live in, declared one way
/// by whoever declares them. An operator command (<c>mesh deploy</c>) creates or updates them; a
/// node only opens them, so a node's NATS user needs no right to create, update or delete streams,
/// and nothing can steer a node into reconfiguring them.
/// </summary>
public static class JobStreams
{
    /// <summary>The streams a node takes work from: callers' jobs, and the ticks only nodes publish.</summary>
    public static readonly IReadOnlyList<string> Taken = [JobSubjects.JobStream, JobSubjects.TickStream];

    public static StreamConfig Jobs(JobOptions options, int replicas = 1) => Work(JobSubjects.JobStream, JobSubjects.JobPrefix, options, replicas);

    /// <summary>Schedule ticks: a stream of their own, so their message ids are out of every caller's reach.</summary>
    public static StreamConfig Ticks(JobOptions options, int replicas = 1) => Work(JobSubjects.TickStream, JobSubjects.TickPrefix, options, replicas);

    public static StreamConfig Dead(int replicas = 1) => new(JobSubjects.DeadStream, [JobSubjects.DeadPrefix + ">"])
    {
        MaxAge = TimeSpan.FromDays(14),
        Storage = StreamConfigStorage.File,
        NumReplicas = replicas,
    };

    /// <summary>The consumer every node takes from; acknowledgements may wait a whole invocation.</summary>
    public static ConsumerConfig Consumer(JobOptions options, TimeSpan wallTime) => new(JobSubjects.Consumer)
    {
        AckPolicy = ConsumerConfigAckPolicy.Explicit,
        AckWait = Max(options.AckWait, wallTime + TimeSpan.FromSeconds(5)),
        MaxDeliver = options.MaxDeliveries,
        MaxAckPending = 1000,
    };

    /// <summary>The operator's declaration: creates, or updates to these settings, the streams and their consumers.</summary>
    public static async Task DeclareAsync(NatsJSContext js, JobOptions options, TimeSpan wallTime, int jobReplicas, int deadReplicas, CancellationToken cancellationToken, int? tickReplicas = null)
    {
        await js.CreateOrUpdateStreamAsync(Jobs(options, jobReplicas), cancellationToken);
        await js.CreateOrUpdateStreamAsync(Ticks(options, tickReplicas ?? jobReplicas), cancellationToken);
        await js.CreateOrUpdateStreamAsync(Dead(deadReplicas), cancellationToken);
        await js.CreateOrUpdateConsumerAsync(JobSubjects.JobStream, Consumer(options, wallTime), cancellationToken);
        await js.CreateOrUpdateConsumerAsync(JobSubjects.TickStream, Consumer(options, wallTime), cancellationToken);
    }

    /// <summary>
    /// A node's: opens the consumer an operator declared on <paramref name="stream"/>. A node creates
    /// nothing: a stream it made would have one replica whatever the operator deployed, and the
    /// node's NATS user needs no right to make streams. Until <c>mesh deploy</c> has run, the node
    /// takes no jobs and says why.
    /// </summary>
    public static async Task<INatsJSConsumer> OpenAsync(NatsJSContext js, string stream, CancellationToken cancellationToken)
    {
        await js.GetStreamAsync(JobSubjects.DeadStream, cancellationToken: cancellationToken);
        return await js.GetConsumerAsync(stream, JobSubjects.Consumer, cancellationToken);
    }

    private static StreamConfig Work(string name, string prefix, JobOptions options, int replicas) => new(name, [prefix + ">"])
    {
        Retention = StreamConfigRetention.Workqueue,
        DuplicateWindow = options.DuplicateWindow,
        Storage = StreamConfigStorage.File,
        NumReplicas = replicas,
    };

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
