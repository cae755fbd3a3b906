using Mesh.Contracts.Wire;
using Mesh.Node.FunctionLogs;

namespace Mesh.Node.Tests;

public sealed class FunctionLogRateTests
{
    private const long Second = 1_796_000_000;

    [Fact]
    public void AFunctionOverItsRate_HasTheRestCounted_AndTheCountTakenOnceItsSecondIsOver()
    {
        var rate = new FunctionLogRate(entriesPerSecond: 3);

        var admitted = Enumerable.Range(0, 10).Count(_ => rate.TryAdmit("noisy", Second));

        Assert.Equal(3, admitted);
        Assert.Empty(rate.TakeDropped(Second));
        Assert.Equal([("noisy", Second, 7L)], rate.TakeDropped(Second + 1));
        Assert.Empty(rate.TakeDropped(Second + 2));
        Assert.True(rate.TryAdmit("noisy", Second + 1), "a new second starts a new allowance");
    }

    [Fact]
    public void OneFunctionsFlood_DoesNotTakeAnotherFunctionsAllowance()
    {
        var rate = new FunctionLogRate(entriesPerSecond: 2);
        for (var i = 0; i < 100; i++)
        {
            rate.TryAdmit("flood", Second);
        }

        Assert.True(rate.TryAdmit("other", Second));
        Assert.True(rate.TryAdmit("other", Second));
        Assert.False(rate.TryAdmit("other", Second));
    }

    [Fact]
    public void ConcurrentInvocations_AreAdmittedExactlyUpToTheRate_AndEveryOtherIsCounted()
    {
        var rate = new FunctionLogRate(entriesPerSecond: 200);
        var admitted = 0;

        Parallel.For(0, 20_000, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            if (rate.TryAdmit("busy", Second))
            {
                Interlocked.Increment(ref admitted);
            }
        });

        Assert.Equal(200, admitted);
        Assert.Equal(19_800, rate.TakeDropped(Second + 1).Single().Dropped);
    }

    [Fact]
    public void FunctionsIdleForAMinute_AreForgotten()
    {
        var rate = new FunctionLogRate(entriesPerSecond: 1);
        rate.TryAdmit("once", Second);
        rate.TryAdmit("once", Second);
        Assert.Single(rate.TakeDropped(Second + 1));

        Assert.Empty(rate.TakeDropped(Second + 120));
        Assert.True(rate.TryAdmit("once", Second + 120));
    }

    [Fact]
    public void TheBatcher_GroupsEntriesPerFunction_InOrder_WithWhatWasDroppedFirst()
    {
        var batcher = new FunctionLogBatcher();
        batcher.Add(new FunctionLogLine { Function = "a", Message = "1" });
        batcher.Add(new FunctionLogLine { Function = "b", Message = "2" });
        batcher.Add(new FunctionLogLine { Function = "a", Message = "3" });
        batcher.Dropped("a", Second, 7);

        var batches = batcher.Take().ToDictionary(b => b.Function, b => b.Lines);

        Assert.Equal([FunctionLogLine.Kinds.Dropped, "log", "log"], batches["a"].Select(l => l.Kind));
        Assert.Equal(7, batches["a"][0].DroppedCount);
        Assert.Equal(["1", "3"], batches["a"].Skip(1).Select(l => l.Message!));
        Assert.Equal(["2"], batches["b"].Select(l => l.Message!));
        Assert.Empty(batcher.Take());
    }
}
