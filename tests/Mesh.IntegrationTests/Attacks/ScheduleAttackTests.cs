using System.Globalization;
using Mesh.Cli.Parsing;
using Mesh.Contracts.Triggers;
using Mesh.Contracts.Wire;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.IntegrationTests.Attacks;

/// <summary>
/// Issue 26 §1: a caller allowed to queue durable jobs (<c>mesh.job.&gt;</c> under nats.conf)
/// tried to stop a schedule by queuing jobs under the message ids its next ticks would use, so that
/// JetStream took the node's own tick for the duplicate. Ticks now go on <c>mesh.tick.&gt;</c>, a
/// subject (and a stream, so an id space) only nodes may publish: the claimed ids claim nothing,
/// and a caller can neither publish a tick nor record one as done.
/// </summary>
public sealed class ScheduleAttackTests(PermissionedMesh fixture) : IClassFixture<PermissionedMesh>, IAsyncLifetime
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("mesh-schedule-attack-");

    public async Task InitializeAsync()
    {
        var seed = Path.Combine(_directory.FullName, "issuer.seed");
        SeedFile.Write(seed, fixture.Mesh.Issuer, force: false);
        var counter = Path.Combine(MeshCluster.RepositoryRoot(), "examples", "counter-as", "build", "counter-as.wasm");
        var manifest = Path.Combine(_directory.FullName, "mesh.yaml");
        await File.WriteAllTextAsync(manifest, $$"""
            name: clock
            functions:
              tick:
                module: {{counter}}
                kv: ["counters/hits.:get,put"]
                schedule: { cron: "* * * * * *", input: second }
            buckets: [counters]
            """);
        var (exit, _, error) = await Cli.RunAsync("deploy", "-f", manifest, "--key", seed, "--nats", fixture.OperatorUrl);
        Assert.True(exit == 0, error);
        await Eventually.HoldsAsync(async () => await RunsAsync() >= 1, "the schedule runs under the least-privilege users");
    }

    public Task DisposeAsync()
    {
        _directory.Delete(recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task JobsQueuedUnderTheNextTicksIds_DoNotStopTheSchedule()
    {
        // The attack as it was run: every id the next 20 ticks will use, claimed before they come,
        // once with no token and once with the caller's own input.
        var js = new NatsJSContext(fixture.Alice);
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        for (var tick = now; tick <= now + 20; tick++)
        {
            // Stored, or a duplicate of a tick already proposed: the attacker needs neither answer.
            await js.PublishAsync(JobSubjects.JobPrefix + "tick", "mine"u8.ToArray(), opts: new NatsJSPubOpts { MsgId = ScheduleDeclaration.MessageId("clock", "tick", tick) });
        }

        // The schedule runs on through the claimed ticks (Alice's jobs carry no token: they run
        // nothing and end as dead letters, so every count is a tick's).
        var before = await RunsAsync();
        await Eventually.HoldsAsync(async () => await RunsAsync() >= before + 4, "the schedule runs through ticks whose ids a caller claimed", TimeSpan.FromSeconds(15));
        Assert.True(TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() <= now + 20, "the runs came from claimed ticks, not after them");

        await AssertServingAsync();
    }

    [Fact]
    public async Task ACallerCanNeitherPublishATick_NorRecordOneAsHandedOn()
    {
        var js = new NatsJSContext(fixture.Alice);
        var next = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() + 2;

        // A forged tick (its own input, the tick's id): the server refuses the publish, so no
        // JetStream acknowledgement ever comes, and the stream holds nothing of Alice's.
        await Assert.ThrowsAnyAsync<Exception>(async () => await js.PublishAsync(
            JobSubjects.TickPrefix + "tick", "forged"u8.ToArray(),
            opts: new NatsJSPubOpts { MsgId = ScheduleDeclaration.MessageId("clock", "tick", next) },
            cancellationToken: new CancellationTokenSource(TimeSpan.FromSeconds(2)).Token));

        // Advancing the record past the coming ticks, so nodes think them handed on: refused too.
        await Assert.ThrowsAnyAsync<Exception>(async () => await fixture.Alice.RequestAsync<byte[], byte[]>(
            $"$KV.{TriggerBuckets.Ticks}.clock.tick", System.Text.Encoding.UTF8.GetBytes((next + 3600).ToString(CultureInfo.InvariantCulture)),
            replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(1) }));
        var ticks = await new NatsKVContext(new NatsJSContext(fixture.Mesh.Client)).GetStoreAsync(TriggerBuckets.Ticks);
        var recorded = long.Parse((await ticks.GetEntryAsync<string>("clock.tick")).Value!, CultureInfo.InvariantCulture);
        Assert.True(recorded < next + 60, $"the last tick recorded ({recorded}) is one nodes handed on");

        var before = await RunsAsync();
        await Eventually.HoldsAsync(async () => await RunsAsync() >= before + 2, "the schedule goes on", TimeSpan.FromSeconds(15));
        await AssertServingAsync();
    }

    private async Task AssertServingAsync()
    {
        var echo = await fixture.Mesh.DeployAsync(MeshCluster.Wat("echo"));
        var reply = Reply.From(await fixture.Alice.RequestAsync<byte[], byte[]>(
            "mesh.fn.echo", "still"u8.ToArray(), new NatsHeaders { [MeshHeaders.Token] = fixture.Mesh.Grant("echo", echo) }));
        Assert.True(reply.IsOk, reply.ToString());
    }

    private async Task<long> RunsAsync()
    {
        try
        {
            var store = await new NatsKVContext(new NatsJSContext(fixture.Mesh.Client)).GetStoreAsync("counters");
            var entry = await store.TryGetEntryAsync<string>("hits.second");
            return entry.Success ? long.Parse(entry.Value.Value!, CultureInfo.InvariantCulture) : 0;
        }
        catch (NatsJSApiException)
        {
            return 0;
        }
    }
}
