using System.CommandLine;
using System.Text;
using Mesh.Cli.Output;
using Mesh.Contracts.Tokens.Rules;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>mesh kv create|put|get|ls|rm</c>: nodes never create buckets (a function can only use what
/// an operator made), so making one, and looking into it, are an operator's commands.
/// </summary>
public static class KvCommand
{
    public static Command Build(CliContext context) => new("kv", "Key-value buckets functions can be granted")
    {
        Create(context), Put(context), Get(context), List(context), Remove(context),
    };

    private static Command Create(CliContext context)
    {
        var bucket = BucketArgument();
        var nats = new NatsOption(context);
        var command = new Command("create", "Create a key-value bucket (no error if it exists)") { bucket };
        nats.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var name = Bucket(result, bucket);
            await using var connection = await nats.ConnectAsync(result, cancellationToken);
            var store = await new NatsKVContext(new NatsJSContext(connection)).CreateStoreAsync(new NatsKVConfig(name), cancellationToken);
            await context.Out.WriteLineAsync(store.Bucket);
            return 0;
        });
        return command;
    }

    private static Command Put(CliContext context)
    {
        var bucket = BucketArgument();
        var key = KeyArgument();
        var data = new Option<string?>("--data") { Description = "The value as text" };
        var file = new Option<string?>("--file") { Description = "The value from a file (any bytes)" };
        var nats = new NatsOption(context);
        var command = new Command("put", "Set a key's value (from --data, --file or standard input); prints the revision") { bucket, key, data, file };
        nats.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var (name, k) = (Bucket(result, bucket), Key(result, key));
            var value = await ValueAsync(result.GetValue(data), result.GetValue(file), context, cancellationToken);
            await using var connection = await nats.ConnectAsync(result, cancellationToken);
            CallInput.CheckFits(connection, value, []);
            var store = await StoreAsync(connection, name, cancellationToken);
            var revision = await store.PutAsync(k, value, cancellationToken: cancellationToken);
            await context.Out.WriteLineAsync(revision.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return 0;
        });
        return command;
    }

    private static Command Get(CliContext context)
    {
        var bucket = BucketArgument();
        var key = KeyArgument();
        var nats = new NatsOption(context);
        var command = new Command("get", "Print a key's value") { bucket, key };
        nats.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var (name, k) = (Bucket(result, bucket), Key(result, key));
            await using var connection = await nats.ConnectAsync(result, cancellationToken);
            var store = await StoreAsync(connection, name, cancellationToken);
            try
            {
                var entry = await store.GetEntryAsync<byte[]>(k, cancellationToken: cancellationToken);
                await context.Out.WriteLineAsync(Encoding.UTF8.GetString(entry.Value ?? []));
                return 0;
            }
            catch (NatsKVKeyNotFoundException)
            {
                throw new CliException("kv.not_found", $"no key '{k}' in bucket '{name}'");
            }
            catch (NatsKVKeyDeletedException)
            {
                throw new CliException("kv.not_found", $"no key '{k}' in bucket '{name}' (it was deleted)");
            }
        });
        return command;
    }

    private static Command List(CliContext context)
    {
        var bucket = BucketArgument();
        var nats = new NatsOption(context);
        var output = new OutputOption();
        var command = new Command("ls", "List a bucket's keys with their size and revision") { bucket };
        nats.AddTo(command);
        output.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var name = Bucket(result, bucket);
            await using var connection = await nats.ConnectAsync(result, cancellationToken);
            var store = await StoreAsync(connection, name, cancellationToken);
            var rows = new List<KvEntryRow>();
            await foreach (var k in store.GetKeysAsync(cancellationToken: cancellationToken))
            {
                // A key deleted while listing is not there any more, so not listed; the rest still are.
                var entry = await store.TryGetEntryAsync<byte[]>(k, cancellationToken: cancellationToken);
                if (entry.Success)
                {
                    rows.Add(new KvEntryRow(k, entry.Value.Value?.Length ?? 0, entry.Value.Revision, entry.Value.Created));
                }
            }

            await output.WriteAsync(result, context.Out, rows, ["KEY", "BYTES", "REVISION", "WRITTEN"],
                r => [r.Key, r.Bytes.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Written.ToString("u", System.Globalization.CultureInfo.InvariantCulture)]);
            return 0;
        });
        return command;
    }

    private static Command Remove(CliContext context)
    {
        var bucket = BucketArgument();
        var key = KeyArgument();
        var nats = new NatsOption(context);
        var command = new Command("rm", "Delete a key") { bucket, key };
        nats.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var (name, k) = (Bucket(result, bucket), Key(result, key));
            await using var connection = await nats.ConnectAsync(result, cancellationToken);
            var store = await StoreAsync(connection, name, cancellationToken);
            await store.DeleteAsync(k, cancellationToken: cancellationToken);
            await context.Error.WriteLineAsync($"mesh: deleted '{k}' from '{name}'");
            return 0;
        });
        return command;
    }

    private sealed record KvEntryRow(string Key, int Bytes, ulong Revision, DateTimeOffset Written);

    private static Argument<string> BucketArgument() => new("BUCKET") { Description = "Bucket name: letters, digits, '-' and '_'" };

    private static Argument<string> KeyArgument() => new("KEY") { Description = "Key: letters, digits and - _ / = . (no leading, trailing or double dot)" };

    private static string Bucket(ParseResult result, Argument<string> argument)
    {
        var name = result.GetValue(argument)!;
        return KvRule.IsValidBucket(name) ? name : throw CliException.Usage($"'{Contracts.Wire.PrintableText.Clean(name, 80)}' is not a bucket name: use 1-64 letters, digits, '-' or '_'");
    }

    private static string Key(ParseResult result, Argument<string> argument)
    {
        var key = result.GetValue(argument)!;
        return KvRule.IsValidKey(key) ? key : throw CliException.Usage($"'{Contracts.Wire.PrintableText.Clean(key, 80)}' is not a key: use letters, digits and - _ / = . (no leading, trailing or double dot)");
    }

    private static async Task<INatsKVStore> StoreAsync(NATS.Client.Core.NatsConnection connection, string bucket, CancellationToken cancellationToken)
    {
        try
        {
            return await new NatsKVContext(new NatsJSContext(connection)).GetStoreAsync(bucket, cancellationToken);
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            throw new CliException("kv.not_found", $"no bucket '{bucket}' (create it with 'mesh kv create {bucket}')");
        }
    }

    private static async Task<byte[]> ValueAsync(string? data, string? file, CliContext context, CancellationToken cancellationToken) =>
        await Parsing.InputBytes.ReadAsync(data, file, context, cancellationToken)
            ?? throw CliException.Usage("give the value with --data, --file or on standard input");
}
