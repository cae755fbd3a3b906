using Mesh.Contracts.Wire;
using Mesh.Node;
using Mesh.Node.Jobs;
using Mesh.Node.Revocation;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.Cli.Deployment;

/// <summary>
/// What nodes use but never make, declared by an operator's command: the revocation bucket (created
/// when missing, never recreated over one that exists) and the durable job streams and their
/// consumer. Nodes then need no right to create, change or delete streams, and a node never turns a
/// lost revocation bucket into an empty one. The function log stream is declared here too. Each stream keeps the replica count it was deployed
/// with (<see cref="StreamReplicas"/>): only an explicit <c>--replicas</c> changes it.
/// </summary>
public static class MeshDeclaration
{
    public static async Task DeclareAsync(INatsConnection connection, ModuleUpload.Buckets buckets, TextWriter notes, CancellationToken cancellationToken)
    {
        var js = new NatsJSContext(connection);
        await RevocationBucketAsync(js, RevocationKeys.DefaultBucket, buckets.Replicas, notes, cancellationToken);
        var jobs = await StreamReplicas.ResolveAsync(js, JobSubjects.JobStream, buckets.Replicas, cancellationToken);
        var dead = await StreamReplicas.ResolveAsync(js, JobSubjects.DeadStream, buckets.Replicas, cancellationToken);
        // A mesh deployed before ticks had their own stream gets it with the job stream's copies.
        var ticks = buckets.Replicas ?? await StreamReplicas.ExistingAsync(js, JobSubjects.TickStream, cancellationToken) ?? jobs;
        await JobStreams.DeclareAsync(js, new JobOptions(), TimeSpan.FromMilliseconds(new CeilingOptions().WallTimeMs), jobs, dead, cancellationToken, ticks);
        // Function logs are best effort: one replica whatever --replicas says, so a busy mesh's logs
        // never compete with revocations and jobs for the cluster's replication.
        await js.CreateOrUpdateStreamAsync(Mesh.Node.FunctionLogs.FunctionLogRetention.Config(), cancellationToken);
    }

    /// <summary>Opens the revocation bucket, creating it (and saying so) only when it does not exist.</summary>
    public static async Task<INatsKVStore> RevocationBucketAsync(NatsJSContext js, string bucket, int? replicas, TextWriter notes, CancellationToken cancellationToken)
    {
        var kv = new NatsKVContext(js);
        var stream = "KV_" + bucket;
        if (await StreamReplicas.ExistingAsync(js, stream, cancellationToken) is not null)
        {
            if (replicas is { } wanted)
            {
                await StreamReplicas.SetAsync(js, stream, wanted, cancellationToken);
            }

            return await kv.GetStoreAsync(bucket, cancellationToken);
        }

        var store = await kv.CreateStoreAsync(new NatsKVConfig(bucket) { History = 1, NumberOfReplicas = replicas ?? 1 }, cancellationToken);
        await notes.WriteLineAsync($"mesh: created the revocation bucket {bucket} ({replicas ?? 1} replica(s)), empty: if it existed before and was lost, the revocations in it are gone; revoke those tokens again");
        return store;
    }
}
