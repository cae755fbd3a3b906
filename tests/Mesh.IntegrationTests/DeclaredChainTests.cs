using System.Collections.Concurrent;
using System.Diagnostics;
using MessagePack;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Telemetry;
using NATS.Client.Core;

namespace Mesh.IntegrationTests;

/// <summary>
/// Chains a grant declares (<c>then</c>): each step's output is the next step's input, the last
/// step answers the caller, a failure names its step, several next steps fan out, and every hop's
/// token is the one before it narrowed to the next function.
/// </summary>
[Collection(NatsServerDefinition.Name)]
public sealed class DeclaredChainTests(NatsServerFixture nats) : IAsyncLifetime
{
    private MeshCluster _mesh = null!;
    private readonly Dictionary<char, Sha256Digest> _suffix = [];
    private Sha256Digest _loop;
    private Sha256Digest _echo;
    private Sha256Digest _publisher;

    public async Task InitializeAsync()
    {
        _mesh = await nats.SharedMeshAsync();
        var template = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "modules", "suffix.wat"));
        foreach (var marker in "ABCD")
        {
            _suffix[marker] = await _mesh.DeployAsync(Wasmtime.Module.ConvertText(template.Replace("\"+\"", $"\"{marker}\"")));
        }

        _loop = await _mesh.DeployAsync(MeshCluster.Wat("loop"));
        _echo = await _mesh.DeployAsync(MeshCluster.Wat("echo"));
        _publisher = await _mesh.DeployAsync(MeshCluster.Wat("publisher"));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Function <paramref name="name"/> appends <paramref name="marker"/> and hands on to <paramref name="then"/>.</summary>
    private FunctionGrant Step(string name, char marker, params string[] then) =>
        new(name, [_suffix[marker]], CapabilitySet.None, Limits.None) { Then = [.. then] };

    private FunctionGrant Slow(string name) => new(name, [_loop], CapabilitySet.None, new Limits(WallTimeMs: 300));

    [Fact]
    public async Task AThreeStepChain_AnswersTheCallerWithTheLastOutput()
    {
        var token = _mesh.GrantAll([Step("first", 'A', "second"), Step("second", 'B', "third"), Step("third", 'C')]);

        var reply = await _mesh.CallAsync("first", token, "x");

        Assert.True(reply.IsOk, reply.ToString());
        Assert.Equal("xABC", reply.Output);
        Assert.Equal(("third", "3"), (reply.Function, reply.Step));
    }

    [Fact]
    public async Task AStepTimingOut_AnswersTheCallerWithThatStepAndItsCode()
    {
        var token = _mesh.GrantAll([Step("first", 'A', "stuck"), Slow("stuck")]);

        var reply = await _mesh.CallAsync("first", token, "x");

        Assert.Equal(ErrorCode.FunctionTimeout, reply.Code);
        Assert.Equal(("stuck", "2"), (reply.Function, reply.Step));
    }

    [Fact]
    public async Task TheCallersBudget_BoundsTheWholeChain()
    {
        var token = _mesh.GrantAll([Step("first", 'A', "stuck"), new FunctionGrant("stuck", [_loop], CapabilitySet.None, Limits.None)]);
        await _mesh.CallAsync("first", token, "warm up", extraHeaders: new Dictionary<string, string> { [MeshHeaders.Budget] = "100" });
        var started = Stopwatch.GetTimestamp();

        var reply = await _mesh.CallAsync("first", token, "x", extraHeaders: new Dictionary<string, string> { [MeshHeaders.Budget] = "1500" });

        // Without the budget the loop would run to the node's 10 s wall-time ceiling.
        Assert.Equal(ErrorCode.FunctionTimeout, reply.Code);
        Assert.True(reply.Step == "2", reply.ToString());
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(8), $"took {Stopwatch.GetElapsedTime(started)}");
    }

    [Fact]
    public async Task ASpentBudget_StopsTheChainBeforeTheStepRuns()
    {
        var token = _mesh.GrantAll([Step("first", 'A', "second"), Step("second", 'B')]);

        var reply = await _mesh.CallAsync("first", token, "x", extraHeaders: new Dictionary<string, string> { [MeshHeaders.Budget] = "0" });

        Assert.Equal(ErrorCode.ChainDeadline, reply.Code);
        Assert.Equal(("first", "1"), (reply.Function, reply.Step));
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("1.5")]
    public async Task AMalformedBudget_IsRefused(string budget)
    {
        var token = _mesh.GrantAll([Step("first", 'A')]);
        var reply = await _mesh.CallAsync("first", token, "x", extraHeaders: new Dictionary<string, string> { [MeshHeaders.Budget] = budget });
        Assert.Equal(ErrorCode.RequestMalformed, reply.Code);
    }

    [Fact]
    public async Task AFanOut_DeliversTheOutputToEveryTarget_AndGathersTheirAnswers()
    {
        var token = _mesh.GrantAll([Step("split", 'A', "left", "right"), Step("left", 'B'), Step("right", 'C', "tail"), Step("tail", 'D')]);

        var reply = await _mesh.CallAsync("split", token, "x");

        Assert.True(reply.IsOk, reply.ToString());
        Assert.Equal("left,right", reply.FanOut);
        var outputs = MessagePackSerializer.Deserialize<Dictionary<string, byte[]>>(reply.Data);
        Assert.Equal("xAB", System.Text.Encoding.UTF8.GetString(outputs["left"]));
        Assert.Equal("xACD", System.Text.Encoding.UTF8.GetString(outputs["right"]));
    }

    [Fact]
    public async Task AFanOutWithNobodyWaiting_StillRunsEveryBranch()
    {
        // The branches publish "hello" to the subject they are given: the fanned-out output.
        var branch = new FunctionGrant("left", [_publisher], CapabilitySet.None with { Publish = ["chain.out"] }, Limits.None);
        var token = _mesh.GrantAll([new FunctionGrant("split", [_echo], CapabilitySet.None, Limits.None) { Then = ["left", "right"] }, branch, branch with { Function = "right" }]);
        await using var outputs = await _mesh.Client.SubscribeCoreAsync<string>("chain.out");
        await _mesh.Client.PingAsync();

        await _mesh.Client.PublishAsync("mesh.fn.split", "chain.out"u8.ToArray(), new NatsHeaders { [MeshHeaders.Token] = token });

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal("hello", (await outputs.Msgs.ReadAsync(timeout.Token)).Data);
        Assert.Equal("hello", (await outputs.Msgs.ReadAsync(timeout.Token)).Data);
    }

    [Fact]
    public async Task AFailingBranch_AnswersWithTheBranchsStep()
    {
        var token = _mesh.GrantAll([Step("split", 'A', "left", "stuck"), Step("left", 'B'), Slow("stuck")]);

        var reply = await _mesh.CallAsync("split", token, "x");

        Assert.Equal(ErrorCode.FunctionTimeout, reply.Code);
        Assert.Equal(("stuck", "2"), (reply.Function, reply.Step));
    }

    [Fact]
    public async Task AChainLongerThanTheTokensDepth_StopsWhereTheDepthRunsOut()
    {
        var token = _mesh.GrantAll([Step("first", 'A', "second"), Step("second", 'B', "third"), Step("third", 'C')], maxDepth: 1);

        var reply = await _mesh.CallAsync("first", token, "x");

        Assert.Equal(ErrorCode.TokenDepth, reply.Code);
        Assert.Equal(("second", "2"), (reply.Function, reply.Step));
    }

    [Fact]
    public async Task ASealedToken_CannotStartAChain()
    {
        var token = _mesh.GrantAll([Step("first", 'A', "second"), Step("second", 'B')], seal: true);
        var reply = await _mesh.CallAsync("first", token, "x");
        Assert.Equal(ErrorCode.TokenSealed, reply.Code);
    }

    [Fact]
    public async Task AStepAlreadyOnThePath_IsALoop()
    {
        var token = _mesh.GrantAll([Step("first", 'A', "second"), Step("second", 'B')]);

        var handingBack = await _mesh.CallAsync("first", token, "x", extraHeaders: new Dictionary<string, string> { [MeshHeaders.Path] = "second" });
        var calledAgain = await _mesh.CallAsync("second", token, "x", extraHeaders: new Dictionary<string, string> { [MeshHeaders.Path] = "first,second" });

        Assert.Equal((ErrorCode.ChainLoop, "first"), (handingBack.Code, handingBack.Function));
        Assert.Equal((ErrorCode.ChainLoop, "3"), (calledAgain.Code, calledAgain.Step));
    }

    [Fact]
    public async Task AHopToken_WorksOnlyForItsStep_AndCannotBeWidened()
    {
        await using var spy = await _mesh.Client.SubscribeCoreAsync<byte[]>("mesh.fn.second");
        await _mesh.Client.PingAsync();
        var token = _mesh.GrantAll([Step("first", 'A', "second"), Step("second", 'B'), Step("other", 'C')]);
        Assert.True((await _mesh.CallAsync("first", token, "x")).IsOk);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var hop = TokenCodec.FromText((await spy.Msgs.ReadAsync(timeout.Token)).Headers![MeshHeaders.Token].ToString(), 8192).Value!;

        var widened = AppendUnchecked(hop, new BlockClaims { Functions = [Step("second", 'B') with { Capabilities = CapabilitySet.None with { Publish = [">"] } }] });
        var redirected = AppendUnchecked(hop, new BlockClaims { Audience = "other" });

        Assert.True((await _mesh.CallAsync("second", TokenCodec.ToText(hop), "y")).IsOk);
        var inspected = System.Text.Json.JsonDocument.Parse((await CliAsync("token", "inspect", TokenCodec.ToText(hop))).Out).RootElement;
        Assert.Equal("second", inspected.GetProperty("effective").GetProperty("path")[0].GetString());
        Assert.Equal(ErrorCode.TokenWrongSubject, (await _mesh.CallAsync("other", TokenCodec.ToText(hop), "y")).Code);
        Assert.Equal(ErrorCode.TokenWidened, (await _mesh.CallAsync("second", TokenCodec.ToText(widened), "y")).Code);
        Assert.Equal(ErrorCode.TokenWidened, (await _mesh.CallAsync("other", TokenCodec.ToText(redirected), "y")).Code);
    }

    [Fact]
    public async Task EveryStep_IsASpanOfTheCallersTrace()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == NodeTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var traceId = ActivityTraceId.CreateRandom();
        var parent = $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01";
        var token = _mesh.GrantAll([Step("first", 'A', "second"), Step("second", 'B', "third"), Step("third", 'C')]);

        var reply = await _mesh.CallAsync("first", token, "x", extraHeaders: new Dictionary<string, string> { [MeshHeaders.TraceParent] = parent });
        Assert.True(reply.IsOk, reply.ToString());

        // The last span may stop just after its reply was sent.
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 5;
        while (spans.Count(s => s.TraceId == traceId) < 3 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(20);
        }

        var chain = spans.Where(s => s.TraceId == traceId).OrderBy(s => (int)s.GetTagItem("mesh.step")!).ToList();
        Assert.Equal(["first", "second", "third"], chain.Select(s => (string)s.GetTagItem("mesh.function")!));
        Assert.Single(chain.Select(s => s.GetTagItem("mesh.token_id")).Distinct());
        Assert.Equal(chain[0].SpanId, chain[1].ParentSpanId);
        Assert.Equal(chain[1].SpanId, chain[2].ParentSpanId);
    }

    [Fact]
    public async Task TheCli_GrantsAChain_AndCallsIt()
    {
        var seed = Path.Combine(Path.GetTempPath(), $"mesh-chain-{Guid.NewGuid():N}.seed");
        Mesh.Cli.Parsing.SeedFile.Write(seed, _mesh.Issuer, force: false);
        try
        {
            var (exit, token, _) = await CliAsync("grant", "--key", seed, "--function", "first", "--module", _suffix['A'].ToString(), "--then", "second",
                "--step", $"second={_suffix['B']}>third", "--step", $"third={_suffix['C']}", "--step", $"stuck={_loop}");
            Assert.Equal(0, exit);
            var (fanExit, fanToken, _) = await CliAsync("grant", "--key", seed, "--function", "split", "--module", _suffix['A'].ToString(),
                "--then", "left", "--then", "stuck", "--step", $"left={_suffix['B']}", "--step", $"stuck={_loop}");
            Assert.Equal(0, fanExit);

            var chain = await CliAsync("call", "first", "--token", token.Trim(), "--data", "x", "--nats", _mesh.Url);
            var inspect = await CliAsync("token", "inspect", token.Trim());
            var failed = await CliAsync("call", "split", "--token", fanToken.Trim(), "--data", "x", "--timeout", "2s", "--nats", _mesh.Url);

            Assert.Equal((0, "xABC"), (chain.Exit, chain.Out.Trim()));
            var first = System.Text.Json.JsonDocument.Parse(inspect.Out).RootElement.GetProperty("blocks")[0].GetProperty("functions")[0];
            Assert.Equal(("first", "second"), (first.GetProperty("function").GetString(), first.GetProperty("then")[0].GetString()));
            Assert.Equal(1, failed.Exit);
            Assert.StartsWith("mesh: function.timeout: step 2 (stuck): ", failed.Error);
        }
        finally
        {
            File.Delete(seed);
        }
    }

    [Fact]
    public async Task TheCli_PrintsAFanOutAsJson()
    {
        var token = _mesh.GrantAll([Step("split", 'A', "left", "right"), Step("left", 'B'), Step("right", 'C')]);

        var (exit, output, _) = await CliAsync("call", "split", "--token", token, "--data", "x", "--nats", _mesh.Url);

        Assert.Equal(0, exit);
        var outputs = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(output);
        Assert.Equal(new Dictionary<string, string> { ["left"] = "xAB", ["right"] = "xAC" }, outputs);
    }

    private static Task<(int Exit, string Out, string Error)> CliAsync(params string[] args) => Cli.RunAsync(args);

    private static byte[] AppendUnchecked(byte[] token, BlockClaims claims)
    {
        var envelope = TokenCodec.Decode(token).Value!;
        using var secret = Mesh.Contracts.Keys.SigningKey.FromRawSeed(envelope.NextSecret!);
        return TokenIssuer.Append(secret, envelope.RootKey, envelope.Blocks, claims, seal: false);
    }
}
