using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using Mesh.Gateway;

namespace Mesh.Node.Tests;

/// <summary>
/// Issue 27 §4: how long the gateway waits for a call, from its token: the start allowance, then
/// each declared step's wall time and a margin, one after another (a fan-out's branches side by
/// side), never more than the gateway's timeout.
/// </summary>
public sealed class CallWaitTests : IDisposable
{
    private static readonly Sha256Digest Module = Sha256Digest.Of("m"u8);
    private readonly SigningKey _issuer = SigningKey.Generate();
    private readonly CallWait _waits = new(new GatewayOptions { Timeout = TimeSpan.FromSeconds(30), StartWithin = TimeSpan.FromSeconds(2), FunctionWallTime = TimeSpan.FromSeconds(10) });

    public void Dispose() => _issuer.Dispose();

    private string Token(params FunctionGrant[] functions)
    {
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        return TokenCodec.ToText(TokenIssuer.Issue(_issuer, new BlockClaims { TokenId = TokenIssuer.NewTokenId(), IssuedAt = now, Expires = now + 600, MaxDepth = 4, Functions = [.. functions] }).Value!);
    }

    private static FunctionGrant Step(string name, long? wallMs, params string[] then) =>
        new(name, [Module], CapabilitySet.None, new Limits(WallTimeMs: wallMs)) { Then = [.. then] };

    [Fact]
    public void OneFunction_WaitsItsWallTimeAndTheMargins()
    {
        Assert.Equal(TimeSpan.FromSeconds(2 + 4 + 1), _waits.For(Token(Step("a", 4000)), "a"));
        Assert.Equal(TimeSpan.FromSeconds(2 + 10 + 1), _waits.For(Token(Step("a", null)), "a"));
        Assert.Equal(TimeSpan.FromSeconds(2 + 10 + 1), _waits.For(Token(Step("a", 60_000)), "a"));
    }

    [Fact]
    public void AChain_AddsItsSteps_AFanOutItsLongestBranch()
    {
        var chain = Token(Step("a", 4000, "b"), Step("b", 3000));
        Assert.Equal(TimeSpan.FromSeconds(2 + 5 + 4), _waits.For(chain, "a"));
        Assert.Equal(TimeSpan.FromSeconds(2 + 4), _waits.For(chain, "b"));

        var fan = Token(Step("a", 4000, "b", "c"), Step("b", 3000), Step("c", 6000));
        Assert.Equal(TimeSpan.FromSeconds(2 + 5 + 7), _waits.For(fan, "a"));
    }

    [Fact]
    public void ANarrowerBlock_Shortens_TheGatewaysTimeoutCaps_AndNoTokenWaitsTheTimeout()
    {
        var token = Token(Step("a", 8000));
        var narrowed = TokenCodec.ToText(TokenIssuer.Attenuate(TokenCodec.FromText(token, 8192).Value!, new BlockClaims { Functions = [Step("a", 1000)] }).Value!);
        Assert.Equal(TimeSpan.FromSeconds(2 + 1 + 1), _waits.For(narrowed, "a"));

        var long5 = Token(Step("a", 9000, "b"), Step("b", 9000, "c"), Step("c", 9000));
        Assert.Equal(TimeSpan.FromSeconds(30), _waits.For(long5, "a"));
        Assert.Equal(TimeSpan.FromSeconds(30), _waits.For("not a token", "a"));
    }

    [Fact]
    public async Task StepsThatFanOutLayerAfterLayer_AreWorkedOutAtOnce()
    {
        // 16 layers of 4 functions (a block holds 64), each handing on to all 4 of the next: 4^15
        // paths if walked as a tree. The gateway reads tokens unverified, so anyone can send one.
        var layers = Enumerable.Range(0, 16).Select(l => Enumerable.Range(0, 4).Select(i => $"l{l}f{i}").ToArray()).ToArray();
        var token = Token([.. layers.SelectMany((layer, l) => layer.Select(f => Step(f, 100, l + 1 < layers.Length ? layers[l + 1] : [])))]);

        // A bound for the run, not a measurement: worked out once per function and depth, it takes
        // milliseconds; walked as a tree, about a minute of one core here, for each such request.
        var wait = await Task.Run(() => _waits.For(token, "l0f0")).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(TimeSpan.FromSeconds(2) + (16 * TimeSpan.FromMilliseconds(1100)), wait);
    }
}
