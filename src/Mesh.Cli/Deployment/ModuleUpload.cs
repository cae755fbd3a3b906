using Mesh.Contracts.Tokens;
using Mesh.Node.Modules;
using NATS.Client.JetStream;
using NATS.Client.ObjectStore;

namespace Mesh.Cli.Deployment;

/// <summary>Puts a module where nodes fetch it: checked as WebAssembly, stored under its digest.</summary>
public static class ModuleUpload
{
    /// <summary>Where modules go, and how many copies JetStream keeps of what deploy makes (null: as it is, 1 when new).</summary>
    public sealed record Buckets(string Modules, int? Replicas = null);

    /// <summary>Checks that <paramref name="bytes"/> are a valid module and stores them under their digest.</summary>
    public static async Task<Sha256Digest> UploadAsync(NATS.Client.Core.INatsConnection connection, Buckets buckets, string path, byte[] bytes, CancellationToken cancellationToken)
    {
        using (var engine = new Wasmtime.Engine())
        {
            if (Wasmtime.Module.Validate(engine, bytes) is { } invalid)
            {
                throw new CliException("module.invalid", $"'{path}' is not a valid WebAssembly module: {invalid.Split('\n')[0]}");
            }
        }

        var digest = Sha256Digest.Of(bytes);
        var js = new NatsJSContext(connection);
        var store = await StoreAsync(js, buckets, cancellationToken);
        // The file it came from, for mesh ls: what a digest is, in words a person recognises.
        var meta = new NATS.Client.ObjectStore.Models.ObjectMetadata { Name = ModuleStore.ObjectName(digest), Description = Path.GetFileName(path) };
        await store.PutAsync(meta, new MemoryStream(bytes), cancellationToken: cancellationToken);
        return digest;
    }

    private static async Task<INatsObjStore> StoreAsync(NatsJSContext js, Buckets buckets, CancellationToken cancellationToken)
    {
        var objects = new NatsObjContext(js);
        var stream = "OBJ_" + buckets.Modules;
        if (await StreamReplicas.ExistingAsync(js, stream, cancellationToken) is null)
        {
            return await objects.CreateObjectStoreAsync(new NatsObjConfig(buckets.Modules) { NumberOfReplicas = buckets.Replicas ?? 1 }, cancellationToken);
        }

        if (buckets.Replicas is { } replicas)
        {
            await StreamReplicas.SetAsync(js, stream, replicas, cancellationToken);
        }

        return await objects.GetObjectStoreAsync(buckets.Modules, cancellationToken);
    }
}
