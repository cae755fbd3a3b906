using System.CommandLine;
using System.Text;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>mesh kv create BUCKET</c> and <c>mesh kv get BUCKET KEY</c>: nodes never create buckets
/// (a function can only use what an operator made), so making one is an operator's command.
/// </summary>
public static class KvCommand
{
    public static Command Build(CliContext context)
    {
        var createBucket = new Argument<string>("BUCKET") { Description = "Bucket name" };
        var createNats = new NatsOption();
        var create = new Command("create", "Create a key-value bucket (no error if it exists)") { createBucket };
        createNats.AddTo(create);
        create.SetAction(async (result, cancellationToken) =>
        {
            await using var nats = await createNats.ConnectAsync(result, cancellationToken);
            var store = await new NatsKVContext(new NatsJSContext(nats)).CreateStoreAsync(new NatsKVConfig(result.GetValue(createBucket)!), cancellationToken);
            await context.Out.WriteLineAsync(store.Bucket);
            return 0;
        });

        var getBucket = new Argument<string>("BUCKET") { Description = "Bucket name" };
        var getKey = new Argument<string>("KEY") { Description = "Key" };
        var getNats = new NatsOption();
        var get = new Command("get", "Print a key's value") { getBucket, getKey };
        getNats.AddTo(get);
        get.SetAction(async (result, cancellationToken) =>
        {
            await using var nats = await getNats.ConnectAsync(result, cancellationToken);
            try
            {
                var store = await new NatsKVContext(new NatsJSContext(nats)).GetStoreAsync(result.GetValue(getBucket)!, cancellationToken);
                var entry = await store.GetEntryAsync<byte[]>(result.GetValue(getKey)!, cancellationToken: cancellationToken);
                await context.Out.WriteLineAsync(Encoding.UTF8.GetString(entry.Value ?? []));
                return 0;
            }
            catch (NatsKVKeyNotFoundException)
            {
                throw new CliException("kv.not_found", $"no key '{result.GetValue(getKey)}' in bucket '{result.GetValue(getBucket)}'");
            }
            catch (NatsJSApiException e) when (e.Error.Code == 404)
            {
                throw new CliException("kv.not_found", $"no bucket '{result.GetValue(getBucket)}' (create it with 'mesh kv create')");
            }
        });

        return new Command("kv", "Key-value buckets functions can be granted") { create, get };
    }
}
