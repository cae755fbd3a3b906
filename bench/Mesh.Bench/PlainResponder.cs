using NATS.Client.Core;

namespace Mesh.Bench;

/// <summary>
/// The baseline: a plain NATS responder that echoes, as anyone would write it, run as its own
/// process (<c>Mesh.Bench.dll responder URL</c>). It also answers <c>bench.plain.jit</c> with how
/// many methods its JIT has compiled, so the benchmark can wait until it is warm.
/// </summary>
public static class PlainResponder
{
    public const string Subject = "bench.plain";
    public const string JitSubject = "bench.plain.jit";
    public const string MemorySubject = "bench.plain.memory";

    public static async Task<int> RunAsync(string url)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = url, Name = "bench-plain-responder" });
        await using var subscription = await connection.SubscribeCoreAsync<NatsMemoryOwner<byte>>(Subject, queueGroup: "plain");
        await using var jit = await connection.SubscribeCoreAsync<byte[]>(JitSubject);
        await using var memory = await connection.SubscribeCoreAsync<byte[]>(MemorySubject);
        _ = Task.Run(async () =>
        {
            await foreach (var msg in jit.Msgs.ReadAllAsync())
            {
                await msg.ReplyAsync(System.Runtime.JitInfo.GetCompiledMethodCount().ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        });
        _ = Task.Run(async () =>
        {
            await foreach (var msg in memory.Msgs.ReadAllAsync())
            {
                await msg.ReplyAsync(FormattableString.Invariant($"{GC.GetTotalAllocatedBytes()} {GC.CollectionCount(0)}"));
            }
        });
        await connection.PingAsync();
        Console.WriteLine("responder ready");
        await foreach (var msg in subscription.Msgs.ReadAllAsync())
        {
            using var data = msg.Data;
            await msg.ReplyAsync(data.Memory);
        }

        return 0;
    }
}
