using Mesh.Contracts.Wire;
using Mesh.Node.FunctionLogs;

namespace Mesh.Node.Tests;

public sealed class FunctionLogBatcherTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static FunctionLogLine Line(string function, DateTimeOffset time, string message = "x") =>
        new() { Function = function, Time = time, Message = message };

    [Fact]
    public void Entries_AreBatchedPerFunction_InTheOrderTheyCame()
    {
        var batcher = new FunctionLogBatcher(entriesPerSecond: 10);
        batcher.Add(Line("a", Start, "1"));
        batcher.Add(Line("b", Start, "2"));
        batcher.Add(Line("a", Start, "3"));

        var batches = batcher.Take(Start).ToDictionary(b => b.Function, b => b.Lines.Select(l => l.Message!).ToArray());

        Assert.Equal(["1", "3"], batches["a"]);
        Assert.Equal(["2"], batches["b"]);
        Assert.Empty(batcher.Take(Start));
    }

    [Fact]
    public void AFunctionOverItsRate_HasTheRestCounted_AndTheCountPublishedWhenItsSecondEnds()
    {
        var batcher = new FunctionLogBatcher(entriesPerSecond: 3);
        var accepted = Enumerable.Range(0, 10).Count(i => batcher.Add(Line("noisy", Start.AddMilliseconds(i))));
        batcher.Add(Line("quiet", Start));

        Assert.Equal(3, accepted);
        Assert.Equal(3, batcher.Take(Start.AddMilliseconds(500)).Single(b => b.Function == "noisy").Lines.Count);

        var next = batcher.Take(Start.AddSeconds(1)).Single(b => b.Function == "noisy").Lines;
        var dropped = Assert.Single(next);
        Assert.Equal(FunctionLogLine.Kinds.Dropped, dropped.Kind);
        Assert.Equal(7, dropped.DroppedCount);
        Assert.True(batcher.Add(Line("noisy", Start.AddSeconds(1))), "a new second starts a new allowance");
    }

    [Fact]
    public void OneFunctionsFlood_DoesNotTakeAnotherFunctionsAllowance()
    {
        var batcher = new FunctionLogBatcher(entriesPerSecond: 2);
        for (var i = 0; i < 100; i++)
        {
            batcher.Add(Line("flood", Start));
        }

        Assert.True(batcher.Add(Line("other", Start)));
        Assert.True(batcher.Add(Line("other", Start)));
        Assert.False(batcher.Add(Line("other", Start)));
    }

    [Fact]
    public void FunctionsIdleForAMinute_AreForgotten_SoTheirCountDoesNotGrowWithoutBound()
    {
        var batcher = new FunctionLogBatcher(entriesPerSecond: 1);
        batcher.Add(Line("once", Start));
        batcher.Add(Line("once", Start));
        batcher.Take(Start);
        Assert.Single(batcher.Take(Start.AddSeconds(1)).Single().Lines, l => l.Kind == FunctionLogLine.Kinds.Dropped);

        Assert.Empty(batcher.Take(Start.AddSeconds(120)));
        Assert.True(batcher.Add(Line("once", Start.AddSeconds(120))));
        Assert.Single(batcher.Take(Start.AddSeconds(120)).Single().Lines);
    }
}
