using System.CommandLine;
using Mesh.Cli.Parsing;
using Mesh.Contracts.Tokens;
using Mesh.Node.Modules;
using NATS.Client.JetStream;
using NATS.Client.ObjectStore;

namespace Mesh.Cli.Commands;

/// <summary><c>mesh deploy FILE.wasm</c>: checks the module, stores it by digest, prints the digest.</summary>
public static class DeployCommand
{
    public const string DefaultBucket = "mesh-modules";

    public static Command Build(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "The module: a .wasm file, or a .wat text file" };
        var nats = NatsOption.Create();
        var bucket = new Option<string>("--bucket") { Description = "Object store bucket nodes fetch modules from", DefaultValueFactory = _ => DefaultBucket };
        var command = new Command("deploy", "Upload a module to the NATS object store under its digest; prints sha256:HEX for grants") { file, nats, bucket };
        command.SetAction(async (result, cancellationToken) =>
        {
            var path = result.GetValue(file)!;
            var bytes = ModuleReference.ReadBytes(path);
            using (var engine = new Wasmtime.Engine())
            {
                if (Wasmtime.Module.Validate(engine, bytes) is { } invalid)
                {
                    throw new CliException("module.invalid", $"'{path}' is not a valid WebAssembly module: {invalid.Split('\n')[0]}");
                }
            }

            var digest = Sha256Digest.Of(bytes);
            await using var connection = await NatsOption.ConnectAsync(result.GetValue(nats)!, cancellationToken);
            var objects = new NatsObjContext(new NatsJSContext(connection));
            var store = await objects.CreateObjectStoreAsync(new NatsObjConfig(result.GetValue(bucket)!), cancellationToken);
            await store.PutAsync(ModuleStore.ObjectName(digest), bytes, cancellationToken);
            await context.Out.WriteLineAsync(digest.ToString());
            return 0;
        });
        return command;
    }
}
