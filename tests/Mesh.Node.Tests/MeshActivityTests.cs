using Mesh.Contracts.Wire;
using Mesh.Dashboard.Activity;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Node.Tests;

/// <summary>What the dashboard will show, from outcome entries as nodes publish them, on a fake clock.</summary>
public sealed class MeshActivityTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));

    private FunctionLogLine Outcome(string function, string status = "ok", long micros = 100, string[]? denied = null, int secondsAgo = 0, string? trace = null, int step = 1) => new()
    {
        Time = _clock.GetUtcNow().AddSeconds(-secondsAgo),
        Kind = FunctionLogLine.Kinds.Outcome,
        Function = function,
        Status = status,
        Micros = micros,
        Token = "t1",
        Node = "node-a",
        Denied = denied,
        Trace = trace,
        Step = step,
    };

    [Fact]
    public void Chains_AreStepsSharingATrace_InStepOrder_NewestFirst_SingleStepsLeftOut()
    {
        var activity = new MeshActivity(_clock);
        activity.Record(Outcome("loud", trace: "aaaa", step: 2, secondsAgo: 5));
        activity.Record(Outcome("shout", trace: "aaaa", step: 1, secondsAgo: 6));
        activity.Record(Outcome("alone", trace: "bbbb"));
        activity.Record(Outcome("first", trace: "cccc", step: 1, secondsAgo: 1));
        activity.Record(Outcome("second", "function.trap", trace: "cccc", step: 2));

        var chains = activity.Snapshot().Chains;

        Assert.Equal(["cccc", "aaaa"], chains.Select(c => c.Trace));
        Assert.Equal(["shout", "loud"], chains[1].Steps.Select(s => s.Function));
        Assert.Equal("function.trap", chains[0].Steps[1].Status);
    }

    [Fact]
    public void CallsPerSecond_AndTheSeries_CountEachSecond_OldestFirst()
    {
        var activity = new MeshActivity(_clock);
        for (var ago = 1; ago <= 10; ago++)
        {
            for (var i = 0; i < ago; i++)
            {
                activity.Record(Outcome("echo", secondsAgo: ago));
            }
        }

        activity.Record(Outcome("echo", secondsAgo: 400));
        var echo = Assert.Single(activity.Snapshot().Functions);

        Assert.Equal(5.5, echo.CallsPerSecond);
        Assert.Equal(FunctionActivity.SeriesSeconds, echo.CallsPerSecondSeries.Count);
        Assert.Equal(1, echo.CallsPerSecondSeries[^2]);
        Assert.Equal(10, echo.CallsPerSecondSeries[^11]);
        // Older than the series: not counted anywhere.
        Assert.Equal(55, echo.CallsPerSecondSeries.Sum());
    }

    [Fact]
    public void Percentiles_AreOverTheLastMinute_WithinABucket()
    {
        var activity = new MeshActivity(_clock);
        for (var i = 0; i < 98; i++)
        {
            activity.Record(Outcome("echo", micros: 1000));
        }

        activity.Record(Outcome("echo", micros: 50_000));
        activity.Record(Outcome("echo", micros: 50_000));
        activity.Record(Outcome("echo", micros: 9_000_000, secondsAgo: 120));

        var echo = Assert.Single(activity.Snapshot().Functions);

        Assert.InRange(echo.P50Micros, 1000, 1250);
        Assert.InRange(echo.P99Micros, 50_000, 62_500);
        Assert.Equal(100, echo.CallsLastMinute);
    }

    [Fact]
    public void ErrorsAreCountedByCode()
    {
        var activity = new MeshActivity(_clock);
        activity.Record(Outcome("echo", "function.trap"));
        activity.Record(Outcome("echo", "function.trap", secondsAgo: 30));
        activity.Record(Outcome("echo", "function.timeout"));
        activity.Record(Outcome("echo"));

        var echo = Assert.Single(activity.Snapshot().Functions);

        Assert.Equal(2, echo.ErrorsByCode["function.trap"]);
        Assert.Equal(1, echo.ErrorsByCode["function.timeout"]);
        Assert.Equal(2, echo.ErrorsByCode.Count);
        Assert.Equal(2, echo.ErrorsPerSecondSeries[^1]);
        Assert.Equal(1, echo.ErrorsPerSecondSeries[^31]);
        Assert.Equal(3, echo.ErrorsPerSecondSeries.Sum());
    }

    [Fact]
    public void Refusals_AreEachCapabilityAndTokenRefusal_NewestFirst_WithTheTokenIdOnly()
    {
        var activity = new MeshActivity(_clock);
        activity.Record(Outcome("reader", "function.trap", denied: ["file:/etc/passwd", "http:GET http://evil.example/"], secondsAgo: 2));
        activity.Record(Outcome("reader", "token.expired"));

        var refusals = activity.Snapshot().Refusals;

        Assert.Equal(["token.expired", "http", "file"], refusals.Select(r => r.Capability));
        Assert.Equal("GET http://evil.example/", refusals[1].Target);
        Assert.Equal("/etc/passwd", refusals[2].Target);
        Assert.All(refusals, r => Assert.Equal(("reader", "t1", "node-a"), (r.Function, r.TokenId, r.Node)));
    }

    [Fact]
    public void ItIsBounded_InFunctionsAndRefusals()
    {
        var activity = new MeshActivity(_clock);
        activity.Record(Outcome("oldest", secondsAgo: 100));
        for (var i = 0; i < MeshActivity.MaxFunctions; i++)
        {
            activity.Record(Outcome($"f{i}", denied: ["kv:users/admin"]));
        }

        var (functions, refusals, _) = activity.Snapshot();

        Assert.Equal(MeshActivity.MaxFunctions, functions.Count);
        Assert.DoesNotContain(functions, f => f.Name == "oldest");
        Assert.Equal(MeshActivity.MaxRefusals, refusals.Count);
        Assert.Equal($"f{MeshActivity.MaxFunctions - 1}", refusals[0].Function);
    }

    [Fact]
    public void EntriesThatAreNotOutcomes_OrNameNoFunction_AreIgnored()
    {
        var activity = new MeshActivity(_clock);
        activity.Record(Outcome("echo") with { Kind = FunctionLogLine.Kinds.Log });
        activity.Record(Outcome("bad.name>"));
        activity.Record(Outcome("echo") with { Status = null });

        Assert.Empty(activity.Snapshot().Functions);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1000)]
    [InlineData(123_456)]
    [InlineData(long.MaxValue)]
    public void AHistogram_PutsEachLatencyInABucketAtMostAQuarterWide(long micros)
    {
        var histogram = new LatencyHistogram();
        histogram.Add(micros);

        var edge = histogram.Percentile(0.5);

        Assert.True(edge >= micros || micros > 1L << 40, $"{edge} < {micros}");
        Assert.True(micros > 1L << 40 || edge <= Math.Ceiling(micros * 1.25) + 1, $"{edge} is more than a quarter above {micros}");
    }
}
