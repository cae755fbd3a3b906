using System.CommandLine;
using System.Globalization;
using Mesh.Cli.Output;
using Mesh.Contracts.Wire;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;
using NATS.Client.ObjectStore;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>mesh ls</c>: what is on this NATS for Mesh. Functions are not stored anywhere (a function is
/// a name in a token), so the functions listed are those that ran in the last hour, from the log
/// stream; modules, buckets and jobs are what the object store and JetStream hold.
/// </summary>
public static class ListCommand
{
    public static Command Build(CliContext context)
    {
        var nats = new NatsOption(context);
        var output = new OutputOption();
        var bucket = new Option<string>("--bucket") { Description = "Object store bucket modules are in", DefaultValueFactory = _ => Mesh.Node.ModuleOptions.DefaultBucket };
        var command = new Command("ls", "List modules (digest, size, source), key-value buckets, functions that ran in the last hour, and durable jobs") { bucket };
        nats.AddTo(command);
        output.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            await using var connection = await nats.ConnectAsync(result, cancellationToken);
            var js = new NatsJSContext(connection);
            var listing = new Listing(
                await ModulesAsync(js, result.GetValue(bucket)!, cancellationToken),
                await BucketsAsync(js, cancellationToken),
                await FunctionsAsync(js, cancellationToken),
                await JobsAsync(js, cancellationToken));
            if (output.IsJson(result))
            {
                await output.WriteRecordAsync(result, context.Out, listing, []);
                return 0;
            }

            await Section(context, "modules", listing.Modules, ["DIGEST", "BYTES", "UPLOADED", "FROM"],
                m => [m.Digest, Number(m.Bytes), m.Uploaded.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), m.From ?? "-"], result, output);
            await Section(context, "key-value buckets", listing.Buckets, ["BUCKET", "KEYS", "BYTES"], b => [b.Name, Number(b.Keys), Number(b.Bytes)], result, output);
            await Section(context, "functions that ran in the last hour (from mesh.log.>)", listing.Functions, ["FUNCTION", "LOG MESSAGES"], f => [f.Name, Number(f.Messages)], result, output);
            await Section(context, "durable jobs", listing.Jobs, ["STREAM", "MESSAGES"], j => [j.Stream, Number(j.Messages)], result, output);
            return 0;
        });
        return command;
    }

    private static async Task Section<T>(CliContext context, string title, IReadOnlyList<T> rows, string[] header, Func<T, string[]> cells, ParseResult result, OutputOption output)
    {
        await context.Out.WriteLineAsync($"{title}:");
        if (rows.Count == 0)
        {
            await context.Out.WriteLineAsync("  (none)");
        }
        else
        {
            await output.WriteAsync(result, context.Out, rows, header, cells);
        }

        await context.Out.WriteLineAsync();
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static async Task<List<ModuleRow>> ModulesAsync(NatsJSContext js, string bucket, CancellationToken cancellationToken)
    {
        var rows = new List<ModuleRow>();
        try
        {
            var store = await new NatsObjContext(js).GetObjectStoreAsync(bucket, cancellationToken);
            await foreach (var module in store.ListAsync(cancellationToken: cancellationToken))
            {
                rows.Add(new ModuleRow(module.Name, (long)module.Size, module.MTime, module.Description));
            }
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            // No module deployed yet.
        }
        catch (NatsObjException)
        {
            // An empty store answers a listing with "no objects".
        }

        return [.. rows.OrderBy(r => r.Uploaded)];
    }

    private static async Task<List<BucketRow>> BucketsAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        var rows = new List<BucketRow>();
        await foreach (var status in new NatsKVContext(js).GetStatusesAsync(cancellationToken))
        {
            rows.Add(new BucketRow(status.Bucket, status.Info.State.Messages, status.Info.State.Bytes));
        }

        return [.. rows.OrderBy(r => r.Name, StringComparer.Ordinal)];
    }

    private static async Task<List<FunctionRow>> FunctionsAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await js.GetStreamAsync(Subjects.LogStream, new StreamInfoRequest { SubjectsFilter = Subjects.LogPrefix + ">" }, cancellationToken);
            return [.. (stream.Info.State.Subjects ?? new Dictionary<string, long>())
                .Select(s => (Function: Subjects.FunctionOfLog(s.Key), Count: s.Value))
                .Where(s => s.Function is not null)
                .Select(s => new FunctionRow(s.Function!, s.Count))
                .OrderBy(f => f.Name, StringComparer.Ordinal)];
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            return [];
        }
    }

    private static async Task<List<JobStreamRow>> JobsAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        var rows = new List<JobStreamRow>();
        foreach (var (stream, what) in new[] { (JobSubjects.JobStream, "waiting"), (JobSubjects.TickStream, "schedule ticks waiting"), (JobSubjects.DeadStream, "dead letters") })
        {
            try
            {
                var info = await js.GetStreamAsync(stream, cancellationToken: cancellationToken);
                rows.Add(new JobStreamRow($"{stream} ({what})", info.Info.State.Messages));
            }
            catch (NatsJSApiException e) when (e.Error.Code == 404)
            {
                // Not declared yet: mesh deploy declares it.
            }
        }

        return rows;
    }

    private sealed record Listing(List<ModuleRow> Modules, List<BucketRow> Buckets, List<FunctionRow> Functions, List<JobStreamRow> Jobs);

    private sealed record ModuleRow(string Digest, long Bytes, DateTimeOffset Uploaded, string? From);

    private sealed record BucketRow(string Name, long Keys, long Bytes);

    private sealed record FunctionRow(string Name, long Messages);

    private sealed record JobStreamRow(string Stream, long Messages);
}
