using Mesh.Node.Chaining;

namespace Mesh.Node.Tests;

public class InvocationBudgetTests
{
    [Theory]
    [InlineData(255, 100)]
    [InlineData(19, 100)]
    [InlineData(1, 5)]
    [InlineData(0, 5)]
    [InlineData(1000, 3)]
    public void CallsTakeShares_ThatNeverAddUpToMoreThanWasLeft(int left, int calls)
    {
        var budget = new InvocationBudget(left);
        var shares = Enumerable.Range(0, calls).Select(i => budget.TakeForCall(calls - i - 1)).ToArray();

        Assert.True(shares.Sum() <= left, $"{shares.Sum()} handed out of {left}");
        Assert.All(shares.TakeWhile(s => s > 0), s => Assert.True(s >= 1));
        Assert.Equal(left - shares.Sum(), budget.Left);
    }

    [Fact]
    public void AFunctionNotifyingEveryoneItMay_ReachesEachOfThem_WhenTheBudgetCoversThem()
    {
        var budget = new InvocationBudget(255);
        var shares = Enumerable.Range(0, 100).Select(i => budget.TakeForCall(99 - i)).ToArray();

        Assert.All(shares, s => Assert.True(s >= 1));
        Assert.Equal(128, shares[0]);
        Assert.Equal(255, shares.Sum());
    }

    [Fact]
    public void AFirstCall_GetsHalf_SoAChainBehindItCanGoDeep()
    {
        var budget = new InvocationBudget(255);

        Assert.Equal(128, budget.TakeForCall(furtherCalls: 3));
        Assert.Equal(64, budget.TakeForCall(furtherCalls: 2));
    }

    [Theory]
    [InlineData(10, 3, new[] { 4, 3, 3 })]
    [InlineData(2, 2, new[] { 1, 1 })]
    [InlineData(255, 1, new[] { 255 })]
    public void NextSteps_SplitWhatIsLeftEvenly(int left, int steps, int[] expected)
    {
        var budget = new InvocationBudget(left);

        Assert.Equal(expected, budget.SplitForSteps(steps));
        Assert.Equal(0, budget.Left);
    }

    [Fact]
    public void NextSteps_WithoutOneInvocationEach_AreRefused()
    {
        var budget = new InvocationBudget(2);

        Assert.Null(budget.SplitForSteps(3));
        Assert.Equal(2, budget.Left);
    }
}
