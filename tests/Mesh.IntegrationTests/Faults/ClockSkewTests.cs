using System.Globalization;
using System.Text.Json;
using Mesh.Cli.Local;
using Mesh.Cli.Parsing;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.IntegrationTests.Faults;

/// <summary>
/// Issue 27 §3: with one node's clock 40 s ahead, every tick ran 40 s early, and after that node
/// died nothing ran for 40 s (it had recorded ticks that had not come yet). Nodes now run
/// schedules by the NATS server's clock, each correcting its own by what it reads of the server's,
/// and say how far off they are. A node process under libfaketime, 40 s ahead, beside a node
/// whose clock is right; then the skewed node is killed.
/// </summary>
public sealed class ClockSkewTests : IAsyncLifetime
{
    private NatsServerProcess _nats = null!;
    private MeshCluster _mesh = null!;
    private DirectoryInfo _directory = null!;

    public async Task InitializeAsync()
    {
        _nats = await NatsServerProcess.StartAsync();
        _mesh = await MeshCluster.StartAsync(_nats.Url, nodes: 1);
        _directory = Directory.CreateTempSubdirectory("mesh-clock-");
    }

    public async Task DisposeAsync()
    {
        await _mesh.DisposeAsync();
        _nats.Dispose();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public async Task ANodeWhoseClockIsAhead_MovesNoTick_AndSaysHowFarOffItIs()
    {
        using var ahead = await NodeProcess.StartAsync(_mesh.Url, _mesh.Issuer.PublicKeyText, clockOffset: "+40s");
        var seed = Path.Combine(_directory.FullName, "issuer.seed");
        SeedFile.Write(seed, _mesh.Issuer, force: false);
        var counter = Path.Combine(MeshCluster.RepositoryRoot(), "examples", "counter-as", "build", "counter-as.wasm");
        var manifest = Path.Combine(_directory.FullName, "mesh.yaml");
        await File.WriteAllTextAsync(manifest, $$"""
            name: skew
            functions:
              tick:
                module: {{counter}}
                kv: ["counters/hits.:get,put"]
                schedule: { cron: "* * * * * *", input: second }
            buckets: [counters]
            """);
        var (exit, _, error) = await Cli.RunAsync("deploy", "-f", manifest, "--key", seed, "--nats", _mesh.Url);
        Assert.True(exit == 0, error);

        // Both run the schedule; the skewed node knows it is 40 s ahead of the server, and says so.
        await Eventually.HoldsAsync(async () => await RunsAsync() >= 3, "the schedule runs");
        var skews = await ServerSkewsAsync();
        Assert.Contains(skews, s => s is > 39_000 and < 41_000);
        Assert.Contains(skews, s => Math.Abs(s) < 1_000);
        Assert.Contains(ahead.Output, l => l.Contains("ms off the NATS server's", StringComparison.Ordinal));
        Assert.True(await LastTickAsync() <= TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() + 1, "a tick was recorded before its time");

        // With the skewed node gone, the schedule goes on at once, not 40 s later.
        ahead.Kill();
        var before = await RunsAsync();
        await Eventually.HoldsAsync(async () => await RunsAsync() >= before + 3, "the schedule runs on after the skewed node dies", TimeSpan.FromSeconds(15));
    }

    private async Task<long> RunsAsync() => long.Parse(await EntryAsync("counters", "hits.second") ?? "0", CultureInfo.InvariantCulture);

    private async Task<long> LastTickAsync() => long.Parse(await EntryAsync(Mesh.Contracts.Triggers.TriggerBuckets.Ticks, "skew.tick") ?? "0", CultureInfo.InvariantCulture);

    private async Task<string?> EntryAsync(string bucket, string key)
    {
        try
        {
            var store = await new NatsKVContext(new NatsJSContext(_mesh.Client)).GetStoreAsync(bucket);
            var entry = await store.TryGetEntryAsync<string>(key);
            return entry.Success ? entry.Value.Value : null;
        }
        catch (NatsJSApiException)
        {
            return null;
        }
    }

    private async Task<List<long>> ServerSkewsAsync()
    {
        var skews = new List<long>();
        await Eventually.HoldsAsync(async () =>
        {
            skews.Clear();
            await foreach (var reply in _mesh.Client.RequestManyAsync<byte[], byte[]>("$SRV.STATS.mesh-node", [],
                replyOpts: new NATS.Client.Core.NatsSubOpts { Timeout = TimeSpan.FromSeconds(3), IdleTimeout = TimeSpan.FromMilliseconds(500) }))
            {
                var data = JsonDocument.Parse(reply.Data!).RootElement.GetProperty("endpoints")[0].GetProperty("data");
                if (data.TryGetProperty("clock_skew_ms", out var skew) && skew.ValueKind == JsonValueKind.Number)
                {
                    skews.Add(skew.GetInt64());
                }
            }

            return skews.Count == 2;
        }, "both nodes have read the server's clock");
        return skews;
    }
}
