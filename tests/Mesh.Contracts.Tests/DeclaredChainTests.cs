using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;

namespace Mesh.Contracts.Tests;

/// <summary>
/// A grant's <c>then</c>: which functions a function's output flows to. Checked where it is
/// stated (targets granted, no cycle), carried through encoding, narrowed only, and the only
/// thing besides a publish or request rule that lets a token's audience move to another function.
/// </summary>
public sealed class DeclaredChainTests : IDisposable
{
    private readonly TokenFixture _f = new();

    public void Dispose() => _f.Dispose();

    private static FunctionGrant Step(string name, params string[] then) =>
        new(name, [TokenFixture.ModuleA], CapabilitySet.None, Limits.None) { Then = [.. then] };

    private ErrorCode Verify(byte[] token) => _f.Verifier.Verify(token) is { IsOk: false } r ? r.Error.Code : ErrorCode.None;

    private ErrorCode IssueError(params FunctionGrant[] functions) =>
        TokenIssuer.Issue(_f.Issuer, _f.RootClaims(functions)) is { IsOk: false } r ? r.Error.Code : ErrorCode.None;

    [Fact]
    public void NextSteps_SurviveEncoding_AndReachTheGrant()
    {
        var token = _f.Issue(_f.RootClaims(Step("a", "b", "c"), Step("b"), Step("c")));

        var grant = TokenFixture.Ok(TokenFixture.Ok(_f.Verifier.Verify(token)).Authorize("a", null, _f.Clock.GetUtcNow(), TimeSpan.Zero));

        Assert.Equal<string>(["b", "c"], grant.Then);
    }

    [Theory]
    [InlineData("a", "a")]
    [InlineData("a", "missing")]
    [InlineData("a", "not a name")]
    public void ANextStepThatIsItselfUngrantedOrInvalid_IsMalformed(string function, string next)
    {
        Assert.Equal(ErrorCode.TokenMalformed, IssueError(Step(function, next), Step("b")));
    }

    [Fact]
    public void ADeclaredCycle_IsMalformed()
    {
        Assert.Equal(ErrorCode.TokenMalformed, IssueError(Step("a", "b"), Step("b", "c"), Step("c", "a")));
        Assert.Equal(ErrorCode.None, IssueError(Step("a", "b", "c"), Step("b", "d"), Step("c", "d"), Step("d")));
    }

    [Fact]
    public void TooWideAFanOut_IsMalformed()
    {
        var targets = Enumerable.Range(0, FunctionGrant.MaxThen + 1).Select(i => $"t{i}").ToArray();
        Assert.Equal(ErrorCode.TokenMalformed, IssueError([Step("a", targets), .. targets.Select(t => Step(t))]));
    }

    [Fact]
    public void TheAudience_MovesAlongADeclaredStep_WithoutAnyMessagingRule()
    {
        var token = _f.Issue(_f.RootClaims(Step("a", "b"), Step("b")) with { Audience = "a" });

        var hop = TokenFixture.Ok(TokenIssuer.Attenuate(token, new BlockClaims { Audience = "b" }));

        Assert.Equal(ErrorCode.None, Verify(hop));
        Assert.Equal(ErrorCode.TokenWidened, Verify(TokenFixture.AppendUnchecked(token, new BlockClaims { Audience = "c" })));
    }

    [Fact]
    public void AStepDroppedByALaterBlock_NoLongerCarriesTheAudience()
    {
        var token = _f.Issue(_f.RootClaims(Step("a", "b"), Step("b")) with { Audience = "a" });
        var narrowed = TokenFixture.Ok(TokenIssuer.Attenuate(token, new BlockClaims { Functions = [Step("a"), Step("b")] }));

        var grant = TokenFixture.Ok(TokenFixture.Ok(_f.Verifier.Verify(narrowed)).Authorize("a", null, _f.Clock.GetUtcNow(), TimeSpan.Zero));

        Assert.Empty(grant.Then);
        Assert.Equal(ErrorCode.TokenWidened, Verify(TokenFixture.AppendUnchecked(narrowed, new BlockClaims { Audience = "b" })));
    }

    [Fact]
    public void TheAudience_NeverReturnsToAFunctionTheChainLeft()
    {
        var token = _f.Issue(_f.RootClaims(Step("a", "b"), Step("b") with { Capabilities = CapabilitySet.None with { Request = ["mesh.fn.a"] } }) with { Audience = "a" });
        var atB = TokenFixture.Ok(TokenIssuer.Attenuate(token, new BlockClaims { Audience = "b" }));

        var back = TokenIssuer.Attenuate(atB, new BlockClaims { Audience = "a" });

        Assert.Equal(ErrorCode.ChainLoop, back.Error.Code);
        Assert.Equal(ErrorCode.ChainLoop, Verify(TokenFixture.AppendUnchecked(atB, new BlockClaims { Audience = "a" })));
    }
}
