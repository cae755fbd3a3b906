using System.Diagnostics;
using Mesh.Cli;
using Mesh.Cli.Local;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Rules;
using Mesh.Contracts.Wire;
using Mesh.Node.Jobs;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.IntegrationTests;

/// <summary>
/// Durable triggers: jobs in JetStream run at least once, once per message id, are retried with
/// backoff, end in the dead letters when they cannot succeed, do not block the jobs behind them,
/// and survive the node holding them being killed. The counter example counts runs per key.
/// </summary>
public sealed class JobTests : IAsyncLifetime
{
    private NatsServerProcess _nats = null!;
    private MeshCluster _mesh = null!;
    private Sha256Digest _counter;
    private Sha256Digest _fails;
    private INatsKVStore _counts = null!;

    public async Task InitializeAsync()
    {
        _nats = await NatsServerProcess.StartAsync();
        _mesh = await MeshCluster.StartAsync(_nats.Url, nodes: 0);
        _counter = await _mesh.DeployAsync(File.ReadAllBytes(Path.Combine(MeshCluster.RepositoryRoot(), "examples", "counter-as", "build", "counter-as.wasm")));
        _fails = await _mesh.DeployAsync(MeshCluster.Wat("fails"));
        _counts = await new NatsKVContext(new NatsJSContext(_mesh.Client)).CreateStoreAsync(new NatsKVConfig("counters"));
    }

    public async Task DisposeAsync()
    {
        await _mesh.DisposeAsync();
        _nats.Dispose();
    }

    private static readonly Dictionary<string, string?> FastRetries = new()
    {
        ["Mesh:Jobs:MaxDeliveries"] = "3",
        ["Mesh:Jobs:Backoff:0"] = "00:00:00.100",
    };

    private string CounterToken(Sha256Digest? module = null) =>
        _mesh.Grant("counter", module ?? _counter, CapabilitySet.None with { Kv = [new KvRule("counters", "hits.", KvOperations.Get | KvOperations.Put)] });

    private Task<(int Exit, string Out, string Error)> CliAsync(params string[] args) => Cli.RunAsync([.. args, "--nats", _mesh.Url]);

    private async Task<long> CountAsync(string key)
    {
        var entry = await _counts.TryGetEntryAsync<string>("hits." + key);
        return entry.Success ? long.Parse(entry.Value.Value!, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [Fact]
    public async Task AJob_RunsOnce_EvenPublishedTwiceWithItsId()
    {
        await _mesh.StartNodeAsync();
        var token = CounterToken();

        var first = await CliAsync("publish", "counter", "--durable", "--id", "order-7", "--token", token, "--data", "once");
        var again = await CliAsync("publish", "counter", "--durable", "--id", "order-7", "--token", token, "--data", "once");

        Assert.True(first.Exit == 0, first.Error);
        Assert.StartsWith("job ", first.Out);
        Assert.StartsWith("duplicate of job", again.Out);
        await WaitUntilAsync(async () => await CountAsync("once") == 1);
        await Task.Delay(500);
        Assert.Equal(1, await CountAsync("once"));
    }

    [Fact]
    public async Task AJobThatCannotSucceed_IsDeadLetteredAtOnce_WithItsCode()
    {
        await _mesh.StartNodeAsync(FastRetries);

        Assert.Equal(0, (await CliAsync("publish", "counter", "--durable", "--token", _mesh.Grant("other", _counter), "--data", "wrong token")).Exit);

        var dead = await WaitForDeadAsync("wrong token");
        Assert.Contains("token.wrong_subject", dead);
        Assert.Contains("deliveries=1", dead);
    }

    [Fact]
    public async Task AFailingJob_IsRetriedWithBackoff_ThenDeadLettered_WithoutBlockingTheJobsBehindIt()
    {
        await _mesh.StartNodeAsync(FastRetries);

        // Same subject, two tokens: one runs a module that always fails, the other the counter.
        Assert.Equal(0, (await CliAsync("publish", "counter", "--durable", "--token", CounterToken(_fails), "--data", "poison")).Exit);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(0, (await CliAsync("publish", "counter", "--durable", "--token", CounterToken(), "--data", $"behind-{i}")).Exit);
        }

        await WaitUntilAsync(async () =>
        {
            foreach (var i in Enumerable.Range(0, 5))
            {
                if (await CountAsync($"behind-{i}") != 1)
                {
                    return false;
                }
            }

            return true;
        });
        var dead = await WaitForDeadAsync("poison");
        Assert.Contains("function.error", dead);
        Assert.Contains("deliveries=3", dead);
    }

    [Fact]
    public async Task AConsumerDeclaredWithFewerDeliveries_ThanTheNodeIsSetTo_StillEndsAFailingJobInTheDeadLetters()
    {
        // The operator declared the consumer (3 deliveries); this node is set to 10. Counting to 10
        // the node would never dead-letter it: the server stops delivering after 3.
        var js = new NatsJSContext(_mesh.Client);
        await JobStreams.DeclareAsync(js, new JobOptions { MaxDeliveries = 3 }, TimeSpan.FromSeconds(10), jobReplicas: 1, deadReplicas: 1, CancellationToken.None);
        await _mesh.StartNodeAsync(new Dictionary<string, string?> { ["Mesh:Jobs:MaxDeliveries"] = "10", ["Mesh:Jobs:Backoff:0"] = "00:00:00.100" });

        Assert.Equal(0, (await CliAsync("publish", "counter", "--durable", "--token", CounterToken(_fails), "--data", "fewer deliveries")).Exit);

        var dead = await WaitForDeadAsync("fewer deliveries");
        Assert.Contains("function.error", dead);
        Assert.Contains("deliveries=3", dead);
    }

    [Fact]
    public async Task ADeadLetter_KeepsTheWholeTrap_NotOnlyItsFirstLine()
    {
        await _mesh.StartNodeAsync(new Dictionary<string, string?> { ["Mesh:Jobs:MaxDeliveries"] = "1" });
        var trap = await _mesh.DeployAsync(MeshCluster.Wat("unreachable"));
        Assert.Equal(0, (await CliAsync("publish", "trap", "--durable", "--token", _mesh.Grant("trap", trap), "--data", "trapping")).Exit);

        var dead = await WaitForDeadAsync("trapping");

        // Wasmtime's text begins "error while executing at wasm backtrace:"; the cause and the frame are what matter.
        Assert.Contains("function.trap", dead);
        var message = dead.Split('\t')[4];
        Assert.Contains("instruction executed", message);
        Assert.Contains("<wasm function 0>", message);
        Assert.DoesNotContain("backtrace:", message);
    }

    [Fact]
    public async Task JobsRunningSideBySide_OnOneKey_LoseNoUpdate()
    {
        // Two nodes, four jobs at a time each, all counting the same key: kv_update (compare and
        // set on the revision read) makes the counter exact where a plain put would lose updates.
        await _mesh.StartNodeAsync(new Dictionary<string, string?> { ["Mesh:Jobs:Concurrency"] = "4" });
        await _mesh.StartNodeAsync(new Dictionary<string, string?> { ["Mesh:Jobs:Concurrency"] = "4" });
        var js = new NatsJSContext(_mesh.Client);
        var headers = new NATS.Client.Core.NatsHeaders { [MeshHeaders.Token] = CounterToken() };
        for (var i = 0; i < 40; i++)
        {
            (await js.PublishAsync(JobSubjects.JobPrefix + "counter", "contended"u8.ToArray(), headers: headers)).EnsureSuccess();
        }

        await WaitUntilAsync(async () => await CountAsync("contended") >= 40);
        await Task.Delay(500);
        Assert.Equal(40, await CountAsync("contended"));
        Assert.DoesNotContain((await CliAsync("jobs", "dead")).Out.Split('\n'), l => l.EndsWith("input=contended", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AJob_IsASpanOfThePublishersTrace()
    {
        var spans = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == Mesh.Node.Telemetry.NodeTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await _mesh.StartNodeAsync();
        var traceId = ActivityTraceId.CreateRandom();
        var headers = new NATS.Client.Core.NatsHeaders
        {
            [MeshHeaders.Token] = CounterToken(),
            [MeshHeaders.TraceParent] = $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01",
        };

        (await new NatsJSContext(_mesh.Client).PublishAsync(JobSubjects.JobPrefix + "counter", "traced"u8.ToArray(), headers: headers)).EnsureSuccess();

        await WaitUntilAsync(() => Task.FromResult(spans.Any(s => s.TraceId == traceId)));
        var span = spans.First(s => s.TraceId == traceId);
        Assert.Equal(("counter", "ok"), ((string?)span.GetTagItem("mesh.function"), (string?)span.GetTagItem("mesh.status")));
    }

    [Fact]
    public async Task ADeadLetter_NamesItsTokenById_AndDoesNotCarryIt()
    {
        await _mesh.StartNodeAsync(FastRetries);
        var token = CounterToken(_fails);
        Assert.Equal(0, (await CliAsync("publish", "counter", "--durable", "--token", token, "--data", "no bearer tokens here")).Exit);
        await WaitForDeadAsync("no bearer tokens here");

        var consumer = await new NatsJSContext(_mesh.Client).CreateOrderedConsumerAsync(JobSubjects.DeadStream);
        var letters = new List<NATS.Client.JetStream.INatsJSMsg<string>>();
        await foreach (var msg in consumer.FetchNoWaitAsync<string>(new NatsJSFetchOpts { MaxMsgs = 100 }))
        {
            letters.Add(msg);
        }

        var letter = letters.Single(m => m.Data == "no bearer tokens here");
        Assert.False(letter.Headers!.ContainsKey(MeshHeaders.Token));
        var envelope = TokenCodec.Decode(TokenCodec.FromText(token, 8192).Value!).Value!;
        var tokenId = Convert.ToHexStringLower(TokenCodec.DecodeClaims(envelope.Blocks[0].Payload).Value!.TokenId.AsSpan());
        Assert.Equal(tokenId, letter.Headers[JobSubjects.TokenIdHeader].ToString());
    }

    [Fact]
    public async Task ANodeKilledHoldingJobs_LosesNone()
    {
        var settings = new Dictionary<string, string>
        {
            ["Mesh__Jobs__AckWait"] = "00:00:01",
            ["Mesh__Ceilings__WallTimeMs"] = "1000",
            ["Mesh__Jobs__Concurrency"] = "4",
        };
        using var doomed = await NodeProcess.StartAsync(_mesh.Url, _mesh.Issuer.PublicKeyText, settings);
        using var survivor = await NodeProcess.StartAsync(_mesh.Url, _mesh.Issuer.PublicKeyText, settings);
        var token = CounterToken();
        var js = new NatsJSContext(_mesh.Client);
        var headers = new NATS.Client.Core.NatsHeaders { [MeshHeaders.Token] = token };
        for (var i = 0; i < 200; i++)
        {
            (await js.PublishAsync(JobSubjects.JobPrefix + "counter", System.Text.Encoding.UTF8.GetBytes($"job-{i}"), headers: headers)).EnsureSuccess();
            if (i == 60)
            {
                doomed.Kill();
            }
        }

        // At least once: every job ran; a job the killed node held may have run twice.
        await WaitUntilAsync(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                if (await CountAsync($"job-{i}") == 0)
                {
                    return false;
                }
            }

            return true;
        }, TimeSpan.FromSeconds(60));
    }

    private async Task<string> WaitForDeadAsync(string input)
    {
        var dead = "";
        await WaitUntilAsync(async () =>
        {
            dead = (await CliAsync("jobs", "dead")).Out.Split('\n').FirstOrDefault(l => l.EndsWith("input=" + input, StringComparison.Ordinal)) ?? "";
            return dead.Length > 0;
        });
        return dead;
    }

    private static Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan? limit = null) => Eventually.HoldsAsync(condition, "the job condition", limit);
}
