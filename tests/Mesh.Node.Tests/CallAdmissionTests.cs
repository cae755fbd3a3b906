using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Admission;
using Mesh.Node.Tokens;

namespace Mesh.Node.Tests;

/// <summary>Which calls wait and which are refused at once, without a server.</summary>
public sealed class CallAdmissionTests
{
    // Admission asks only whether a token still needs its first verification; this one does not.
    private static readonly TokenLook Known = TokenLook.Refused(new MeshError(ErrorCode.TokenExpired, "looked up already"));
    private int _inFlight;

    private CallAdmission<string> Admission(int concurrency = 2, int queue = 2, int perFunction = 0, int unverified = 2) =>
        new(new ExecutionOptions { Concurrency = concurrency, QueueLength = queue, MaxPerFunction = perFunction, MaxUnverified = unverified }, () => _inFlight);

    [Fact]
    public void WhenEveryWorkerIsBusy_TheQueueHoldsItsLengthAndRefusesTheRest()
    {
        var admission = Admission(concurrency: 2, queue: 2);
        _inFlight = 2;

        Assert.Equal(CallAdmission<string>.Verdict.Queued, admission.Arrive("mesh.fn.a", "1", Known));
        Assert.Equal(CallAdmission<string>.Verdict.Queued, admission.Arrive("mesh.fn.a", "2", Known));
        Assert.Equal(CallAdmission<string>.Verdict.Full, admission.Arrive("mesh.fn.a", "3", Known));
        Assert.Equal(2, admission.Waiting);
    }

    [Fact]
    public async Task TakenCalls_FreeTheirQueuePlaces()
    {
        var admission = Admission(concurrency: 1, queue: 1);
        _inFlight = 1;
        Assert.Equal(CallAdmission<string>.Verdict.Queued, admission.Arrive("mesh.fn.a", "1", Known));
        admission.Complete();

        var taken = new List<string>();
        await foreach (var call in admission.TakeAllAsync())
        {
            taken.Add(call.Call);
        }

        Assert.Equal(["1"], taken);
        Assert.Equal(0, admission.Waiting);
    }

    [Fact]
    public async Task OneFunction_GetsOnlyItsShare_AndGetsItBackWhenItsCallsEnd()
    {
        var admission = Admission(concurrency: 4, queue: 8, perFunction: 2);

        Assert.Equal(CallAdmission<string>.Verdict.Queued, admission.Arrive("mesh.fn.slow", "1", Known));
        Assert.Equal(CallAdmission<string>.Verdict.Queued, admission.Arrive("mesh.fn.slow", "2", Known));
        Assert.Equal(CallAdmission<string>.Verdict.FunctionFull, admission.Arrive("mesh.fn.slow", "3", Known));
        Assert.Equal(CallAdmission<string>.Verdict.Queued, admission.Arrive("mesh.fn.other", "4", Known));

        await using var calls = admission.TakeAllAsync().GetAsyncEnumerator();
        Assert.True(await calls.MoveNextAsync());
        admission.Done(calls.Current.Subject);
        Assert.Equal(CallAdmission<string>.Verdict.Queued, admission.Arrive("mesh.fn.slow", "5", Known));
    }

    [Fact]
    public void CallsWithATokenNotYetVerified_ParkBesideItsFirstCall_Boundedly()
    {
        var admission = Admission(queue: 2, unverified: 1);
        var first = Unknown(1);

        Assert.Equal(CallAdmission<string>.Verdict.Queued, admission.Arrive("mesh.fn.a", "first", first));
        Assert.Equal(CallAdmission<string>.Verdict.Parked, admission.Arrive("mesh.fn.a", "second", first));
        Assert.Equal(CallAdmission<string>.Verdict.Parked, admission.Arrive("mesh.fn.b", "third", first));
        // Parked places are bounded by the queue's length, and waiting tokens by MaxUnverified.
        Assert.Equal(CallAdmission<string>.Verdict.UnverifiedFull, admission.Arrive("mesh.fn.a", "fourth", first));
        Assert.Equal(CallAdmission<string>.Verdict.UnverifiedFull, admission.Arrive("mesh.fn.a", "other token", Unknown(2)));
        Assert.Equal(1, admission.Waiting);

        Assert.Equal([("mesh.fn.a", "second"), ("mesh.fn.b", "third")], admission.CompleteParked(first.Key));
        Assert.Empty(admission.CompleteParked(first.Key));
        Assert.Equal(CallAdmission<string>.Verdict.Queued, admission.Arrive("mesh.fn.a", "other token", Unknown(2)));
    }

    // A token the cache has never seen: a look with its key and no verdict.
    private static TokenLook Unknown(byte seed)
    {
        var bytes = new byte[64];
        Array.Fill(bytes, seed);
        return TokenLook.Unknown(bytes, Sha256Digest.Of(bytes));
    }
}
