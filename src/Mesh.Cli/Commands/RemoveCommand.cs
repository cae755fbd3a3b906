using System.CommandLine;
using Mesh.Cli.Parsing;
using Mesh.Node.Modules;
using NATS.Client.JetStream;
using NATS.Client.ObjectStore;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>mesh rm MODULE</c>: deletes a module from the object store. Tokens that name it then get
/// <c>module.not_found</c> from nodes that have not compiled it; a node that already has it
/// compiled keeps running it until it restarts or its cache evicts it, so revoke the tokens too
/// when the module must stop running at once.
/// </summary>
public static class RemoveCommand
{
    public static Command Build(CliContext context)
    {
        var module = new Argument<string>("MODULE") { Description = "The module: sha256:HEX, or the .wasm file whose digest it is" };
        var bucket = new Option<string>("--bucket") { Description = "Object store bucket modules are in", DefaultValueFactory = _ => Mesh.Node.ModuleOptions.DefaultBucket };
        var nats = new NatsOption(context);
        var command = new Command("rm", "Delete a deployed module (nodes that compiled it keep it until restart: revoke its tokens to stop it at once)") { module, bucket };
        nats.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var digest = ModuleReference.Resolve(result.GetValue(module)!);
            await using var connection = await nats.ConnectAsync(result, cancellationToken);
            try
            {
                var store = await new NatsObjContext(new NatsJSContext(connection)).GetObjectStoreAsync(result.GetValue(bucket)!, cancellationToken);
                // Deleting what is already deleted succeeds quietly: ask first, so a wrong digest is said.
                await store.GetInfoAsync(ModuleStore.ObjectName(digest), cancellationToken: cancellationToken);
                await store.DeleteAsync(ModuleStore.ObjectName(digest), cancellationToken);
            }
            catch (Exception e) when (e is NatsObjNotFoundException || (e is NatsJSApiException api && api.Error.Code == 404))
            {
                throw new CliException("module.not_found", $"no module {digest} in bucket '{result.GetValue(bucket)}'");
            }

            await context.Error.WriteLineAsync($"mesh: deleted module {digest}");
            return 0;
        });
        return command;
    }
}
