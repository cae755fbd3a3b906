using Mesh.Node;
using Mesh.Node.Jobs;
using Mesh.Node.Revocation;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.Cli.Deployment;

/// <summary>
/// What nodes use but do not make, declared by an operator's deploy: the revocation bucket (created
/// when missing, never recreated over one that exists) and the durable job streams and their
/// consumer (created or brought to these settings). Nodes then need no right to create, change or
/// delete streams.
/// </summary>
public static class MeshDeclaration
{
    public static async Task DeclareAsync(INatsConnection connection, ModuleUpload.Buckets buckets, CancellationToken cancellationToken)
    {
        var js = new NatsJSContext(connection);
        var kv = new NatsKVContext(js);
        try
        {
            await kv.GetStoreAsync(RevocationKeys.DefaultBucket, cancellationToken);
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            await kv.CreateStoreAsync(new NatsKVConfig(RevocationKeys.DefaultBucket) { History = 1, NumberOfReplicas = buckets.Replicas }, cancellationToken);
        }

        await JobStreams.DeclareAsync(js, new JobOptions(), TimeSpan.FromMilliseconds(new CeilingOptions().WallTimeMs), buckets.Replicas, cancellationToken);
    }
}
