using System.Diagnostics;
using Mesh.Cli.Local;
using Mesh.Cli.Parsing;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.IntegrationTests;

/// <summary>
/// Schedules on three nodes: a schedule every second runs once a second, never once per node,
/// whether a node stops mid-way or NATS restarts. The counter example counts each run in KV, so a
/// tick run twice would show as one count too many. These tests watch a clock for a measured
/// window: the window is what they measure, not a wait for a condition.
/// </summary>
public sealed class ScheduleTests : IAsyncLifetime
{
    private NatsServerProcess _nats = null!;
    private MeshCluster _mesh = null!;
    private DirectoryInfo _directory = null!;
    private string _manifest = null!;
    private string _seed = null!;

    public async Task InitializeAsync()
    {
        _nats = await NatsServerProcess.StartAsync();
        _mesh = await MeshCluster.StartAsync(_nats.Url, nodes: 3);
        _directory = Directory.CreateTempSubdirectory("mesh-schedules-");
        var seed = _seed = Path.Combine(_directory.FullName, "issuer.seed");
        SeedFile.Write(seed, _mesh.Issuer, force: false);
        var counter = Path.Combine(MeshCluster.RepositoryRoot(), "examples", "counter-as", "build", "counter-as.wasm");
        var manifest = _manifest = Path.Combine(_directory.FullName, "mesh.yaml");
        await File.WriteAllTextAsync(manifest, $$"""
            name: clock
            functions:
              tick:
                module: {{counter}}
                kv: ["counters/hits.:get,put"]
                schedule: { cron: "* * * * * *", input: second }
            buckets: [counters]
            """);
        var (exit, _, error) = await Cli.RunAsync("deploy", "-f", manifest, "--key", seed, "--nats", _mesh.Url);
        Assert.True(exit == 0, error);
        Assert.Contains("schedule tick '* * * * * *'", error);
        await Eventually.HoldsAsync(async () => await CountAsync() >= 2, "the schedule runs");
    }

    public async Task DisposeAsync()
    {
        await _mesh.DisposeAsync();
        _nats.Dispose();
        _directory.Delete(recursive: true);
    }

    private async Task<long> CountAsync()
    {
        try
        {
            var store = await new NatsKVContext(new NatsJSContext(_mesh.Client)).GetStoreAsync("counters");
            var entry = await store.TryGetEntryAsync<string>("hits.second");
            return entry.Success ? long.Parse(entry.Value.Value!, System.Globalization.CultureInfo.InvariantCulture) : 0;
        }
        catch (Exception e) when (e is NATS.Client.Core.NatsException or OperationCanceledException)
        {
            return -1;
        }
    }

    // Runs counted over a window of whole seconds: ticks crossed, and runs counted.
    private async Task<(long Ticks, long Runs)> WindowAsync(TimeSpan length, Func<Task>? midway = null)
    {
        var before = await CountAsync();
        var started = TimeProvider.System.GetUtcNow();
        var clock = Stopwatch.StartNew();
        await Task.Delay(length / 2);
        if (midway is not null)
        {
            await midway();
        }

        await Task.Delay(length - clock.Elapsed > TimeSpan.Zero ? length - clock.Elapsed : TimeSpan.Zero);
        long after = -1;
        await Eventually.HoldsAsync(async () => (after = await CountAsync()) >= 0, "the count can be read");
        var ticks = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() - started.ToUnixTimeSeconds();
        return (ticks, after - before);
    }

    [Fact]
    public async Task ThreeNodes_RunEachTickOnce()
    {
        // Entries no deploy would write (a time past the calendar, a function that would bend the
        // job subject) are skipped by every node, which goes on running the good one.
        var schedules = await new NatsKVContext(new NatsJSContext(_mesh.Client)).GetStoreAsync(Mesh.Contracts.Triggers.TriggerBuckets.Schedules);
        await schedules.PutAsync("clock.bad", System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new Mesh.Contracts.Triggers.ScheduleDeclaration
        {
            App = "clock", Function = "tick", Cron = "* * * * * *", Token = "x", Expires = long.MaxValue, Since = long.MaxValue,
        }));
        await schedules.PutAsync("clock.worse", System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new Mesh.Contracts.Triggers.ScheduleDeclaration
        {
            App = "clock", Function = "tick.>", Cron = "* * * * * *", Token = "x", Expires = 2_000_000_000, Since = 0,
        }));

        var (ticks, runs) = await WindowAsync(TimeSpan.FromSeconds(10));
        Assert.InRange(runs, ticks - 1, ticks + 1);
        Assert.InRange(ticks, 10, 12);

        // mesh schedules shows it, with its next run and the last tick handed on.
        var (exit, output, error) = await Cli.RunAsync("schedules", "--nats", _mesh.Url, "-o", "json");
        Assert.True(exit == 0, error);
        var row = System.Text.Json.JsonDocument.Parse(output).RootElement.EnumerateArray().Single(r => r.GetProperty("function").GetString() == "tick");
        Assert.Equal("clock", row.GetProperty("app").GetString());
        Assert.Equal("tick", row.GetProperty("function").GetString());
        Assert.Equal("* * * * * *", row.GetProperty("cron").GetString());
        var now = TimeProvider.System.GetUtcNow();
        Assert.InRange(row.GetProperty("next").GetDateTimeOffset(), now, now.AddSeconds(2));
        Assert.InRange(row.GetProperty("lastTick").GetDateTimeOffset(), now.AddSeconds(-5), now);

        // Deployed again without the schedule: it is gone, and within a moment it stops running.
        await File.WriteAllTextAsync(_manifest, (await File.ReadAllTextAsync(_manifest)).Replace("schedule:", "# schedule:", StringComparison.Ordinal));
        (exit, _, error) = await Cli.RunAsync("deploy", "-f", _manifest, "--key", _seed, "--nats", _mesh.Url);
        Assert.True(exit == 0, error);
        (exit, output, _) = await Cli.RunAsync("schedules", "--nats", _mesh.Url, "-o", "json");
        Assert.DoesNotContain("\"tick\"", output);
        var (_, afterRemoval) = await WindowAsync(TimeSpan.FromSeconds(1));
        var (quietTicks, quietRuns) = await WindowAsync(TimeSpan.FromSeconds(3));
        Assert.True(quietRuns == 0, $"{quietRuns} runs in {quietTicks} ticks after the schedule was removed ({afterRemoval} in the second before)");
    }

    [Fact]
    public async Task ANodeKilledMidway_ChangesNothing()
    {
        // A fourth node in a process of its own, killed (SIGKILL) half way: a tick it proposed is
        // recorded or proposed again by the others under the same id. (A job it was running would
        // come back after the consumer's ack wait, 30 s: at most the one run at the window's edge.)
        using var doomed = await NodeProcess.StartAsync(_mesh.Url, _mesh.Issuer.PublicKeyText);
        var (ticks, runs) = await WindowAsync(TimeSpan.FromSeconds(10), () =>
        {
            doomed.Kill();
            return Task.CompletedTask;
        });
        Assert.InRange(runs, ticks - 1, ticks + 1);
    }

    [Fact]
    public async Task ANodeStoppedMidway_ChangesNothing()
    {
        var (ticks, runs) = await WindowAsync(TimeSpan.FromSeconds(10), () => _mesh.StopNodeAsync(_mesh.Nodes[0]));
        Assert.InRange(runs, ticks - 1, ticks + 1);
    }

    [Fact]
    public async Task ATickDuringANatsRestart_RunsOnce_AndTheScheduleGoesOn()
    {
        // While NATS is away no tick can be handed on; once back, the latest missed tick runs once
        // (earlier missed ones are skipped), and never once per node.
        var (ticks, runs) = await WindowAsync(TimeSpan.FromSeconds(10), () => _nats.RestartAsync(TimeSpan.FromSeconds(2)));
        Assert.InRange(runs, ticks - 4, ticks + 1);
        var resumed = await CountAsync();
        await Eventually.HoldsAsync(async () => await CountAsync() >= resumed + 2, "ticks go on after the restart");
    }
}
