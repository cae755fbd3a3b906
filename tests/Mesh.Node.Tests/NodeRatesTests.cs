using Mesh.Client;
using Mesh.Dashboard;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Node.Tests;

/// <summary>A node's calls per second on the dashboard, from two stats answers in a row.</summary>
public sealed class NodeRatesTests
{
    private readonly FakeTimeProvider _clock = new();

    private static NodeReport Node(string id, long calls) => new(id, true, 0, calls, 0, 0, null, new Dictionary<string, long>(), new Dictionary<string, long>());

    [Fact]
    public void TheRate_IsTheCallsBetweenTwoAnswers_OverTheTimeBetweenThem()
    {
        var rates = new NodeRates();
        Assert.Null(Assert.Single(rates.Next([Node("a", 100)], _clock.GetTimestamp(), _clock)).CallsPerSecond);

        _clock.Advance(TimeSpan.FromSeconds(2));
        var view = Assert.Single(rates.Next([Node("a", 150)], _clock.GetTimestamp(), _clock));

        Assert.Equal(25, view.CallsPerSecond);
    }

    [Fact]
    public void ARestartedNode_OrANewOne_HasNoRateYet()
    {
        var rates = new NodeRates();
        rates.Next([Node("a", 100)], _clock.GetTimestamp(), _clock);
        _clock.Advance(TimeSpan.FromSeconds(2));

        var views = rates.Next([Node("a", 3), Node("b", 10)], _clock.GetTimestamp(), _clock);

        Assert.All(views, v => Assert.Null(v.CallsPerSecond));
    }
}
