using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Messaging;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.IntegrationTests.Attacks;

/// <summary>
/// Issue 11 §3: a caller with a fan-out token tries to starve a node (as many gathering fan-outs
/// as the node has workers, a nested fan-out), and a function tries to multiply one call into
/// thousands of invocations (each step publishing to the next as often as it may). Waiting for
/// branches holds no worker, so every call completes; and no call causes more invocations than
/// the node's bound, which the node enforces and carries along, whatever the guest does.
/// </summary>
public sealed class FanOutAttackTests(FanOutAttackTests.FourWorkers fixture) : IClassFixture<FanOutAttackTests.FourWorkers>
{
    private const int Bound = 20;

    public sealed class FourWorkers : OwnMeshFixture
    {
        public Sha256Digest Suffix { get; private set; }

        public Sha256Digest Relay { get; private set; }

        public Sha256Digest Echo { get; private set; }

        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Mesh:Execution:Concurrency"] = "4",
            ["Mesh:Execution:MaxInvocationsPerCall"] = Bound.ToString(),
        };

        public NodeStats Stats => Mesh.Nodes[0].Services.GetRequiredService<NodeStats>();

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Suffix = await Mesh.DeployAsync(MeshCluster.Wat("suffix"));
            Relay = await Mesh.DeployAsync(MeshCluster.Wat("relay"));
            Echo = await Mesh.DeployAsync(MeshCluster.Wat("echo"));
        }
    }

    private MeshCluster Mesh => fixture.Mesh;

    private FunctionGrant Step(string name, params string[] then) => new(name, [fixture.Suffix], CapabilitySet.None, Limits.None) { Then = [.. then] };

    [Fact]
    public async Task AsManyFanOutsAsWorkers_AllComplete_AndAPlainCallIsServedMeanwhile()
    {
        var token = Mesh.GrantAll([Step("split", "left", "right"), Step("left"), Step("right")]);
        var echo = Mesh.Grant("echo", fixture.Echo);

        // Twice as many gathering fan-outs as workers: each would hold a worker while its
        // branches wait for one. The caller's 10 s become the chain's budget.
        var fanOuts = Enumerable.Range(0, 8).Select(i => Mesh.CallAsync("split", token, $"call {i}", timeout: TimeSpan.FromSeconds(10))).ToArray();
        var plain = await Mesh.CallAsync("echo", echo, "not starved", timeout: TimeSpan.FromSeconds(10));

        Assert.True(plain.IsOk, plain.ToString());
        foreach (var reply in await Task.WhenAll(fanOuts))
        {
            Assert.True(reply.IsOk, reply.ToString());
            Assert.Equal("left,right", reply.FanOut);
        }
    }

    [Fact]
    public async Task ANestedFanOut_SixTimesTwo_Completes()
    {
        var middles = Enumerable.Range(1, 6).Select(i => $"m{i}").ToArray();
        var token = Mesh.GrantAll(
        [
            Step("top", middles),
            .. middles.Select(m => Step(m, m + "-x", m + "-y")),
            .. middles.SelectMany(m => new[] { Step(m + "-x"), Step(m + "-y") }),
        ], maxDepth: 8);

        var replies = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Mesh.CallAsync("top", token, "x", timeout: TimeSpan.FromSeconds(10))));

        Assert.All(replies, r => Assert.True(r.IsOk, r.ToString()));
        Assert.Equal(string.Join(',', middles), replies[0].FanOut);
    }

    [Fact]
    public async Task AFunctionMultiplyingItsCall_CausesNoMoreInvocationsThanTheBound()
    {
        var stats = fixture.Stats;
        var (invocations, refused) = (stats.Invocations, stats.DeniedOf("publish"));
        var token = RelayToken();

        // first publishes to second as often as it may, each second to third: unbounded, 1 + 100 + 100 x 100.
        var reply = await Mesh.CallAsync("first", token, "mesh.fn.second mesh.fn.third");

        Assert.True(reply.IsOk, reply.ToString());
        Assert.Contains("publish:mesh.fn.second", reply.Denied);
        // first's 20th publish is refused; each of the 19 seconds it reached is refused its first.
        // Once all 20 refusals are in and those invocations ended, no relay is left to publish.
        await Eventually.HoldsAsync(() => stats.DeniedOf("publish") == refused + Bound && stats.InFlight == 0, "every relay is refused its next hop");
        Assert.Equal(invocations + Bound, stats.Invocations);
    }

    [Fact]
    public async Task ACallerCannotRaiseTheBound_AndMayLowerIt()
    {
        var stats = fixture.Stats;
        var (invocations, refused) = (stats.Invocations, stats.DeniedOf("publish"));

        var raised = await Mesh.CallAsync("first", RelayToken(), "mesh.fn.second mesh.fn.third", extraHeaders: Invocations("1000000"));

        Assert.True(raised.IsOk, raised.ToString());
        await Eventually.HoldsAsync(() => stats.DeniedOf("publish") == refused + Bound && stats.InFlight == 0, "every relay is refused its next hop");
        Assert.Equal(invocations + Bound, stats.Invocations);

        var split = Mesh.GrantAll([Step("split", "left", "right"), Step("left"), Step("right")]);
        var lowered = await Mesh.CallAsync("split", split, "x", extraHeaders: Invocations("2"));
        Assert.Equal((ErrorCode.ChainInvocationLimit, "split", "1"), (lowered.Code, lowered.Function, lowered.Step));
        Assert.True((await Mesh.CallAsync("split", split, "x", extraHeaders: Invocations("3"))).IsOk);
    }

    [Theory]
    [InlineData("0", ErrorCode.ChainInvocationLimit)]
    [InlineData("-1", ErrorCode.RequestMalformed)]
    [InlineData("1e3", ErrorCode.RequestMalformed)]
    [InlineData("99999999999", ErrorCode.RequestMalformed)]
    public async Task ABadInvocationsHeader_IsRefused(string value, ErrorCode code)
    {
        var reply = await Mesh.CallAsync("echo", Mesh.Grant("echo", fixture.Echo), "x", extraHeaders: Invocations(value));

        Assert.Equal(code, reply.Code);
        Assert.True((await Mesh.CallAsync("echo", Mesh.Grant("echo", fixture.Echo), "still serving")).IsOk);
    }

    private string RelayToken() => Mesh.GrantAll(
    [
        new FunctionGrant("first", [fixture.Relay], CapabilitySet.None with { Publish = ["mesh.fn.second"] }, Limits.None),
        new FunctionGrant("second", [fixture.Relay], CapabilitySet.None with { Publish = ["mesh.fn.third"] }, Limits.None),
        new FunctionGrant("third", [fixture.Relay], CapabilitySet.None, Limits.None),
    ]);

    private static Dictionary<string, string> Invocations(string value) => new() { [MeshHeaders.Invocations] = value };
}
