using Mesh.Contracts.Tokens;
using Mesh.Node.Modules;
using NATS.Client.JetStream;
using NATS.Client.ObjectStore;

namespace Mesh.Cli.Deployment;

/// <summary>Puts a module where nodes fetch it: checked as WebAssembly, stored under its digest.</summary>
public static class ModuleUpload
{
    /// <summary>Where modules go, and how many copies JetStream keeps of the buckets deploy creates.</summary>
    public sealed record Buckets(string Modules, int Replicas = 1);

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
        var objects = new NatsObjContext(new NatsJSContext(connection));
        var store = await objects.CreateObjectStoreAsync(new NatsObjConfig(buckets.Modules) { NumberOfReplicas = buckets.Replicas }, cancellationToken);
        await store.PutAsync(ModuleStore.ObjectName(digest), bytes, cancellationToken);
        return digest;
    }
}
