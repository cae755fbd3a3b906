using Mesh.Node.Revocation;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Node.Tests;

/// <summary>When a node may start a call, given when it last knew it held every revocation.</summary>
public sealed class RevocationFreshnessTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task NeverConfirmed_RefusesAtOnce()
    {
        var freshness = new RevocationFreshness(_clock, Grace);

        Assert.False(freshness.IsFresh);
        Assert.True(freshness.IsFailingClosed);
        Assert.False(await freshness.WaitAsync(null, CancellationToken.None));
    }

    [Fact]
    public async Task AServiceStartingUp_WaitsForTheFirstRead_AndAsksForIt()
    {
        var wanted = 0;
        var freshness = new RevocationFreshness(_clock, Grace, () => wanted++);

        var waiting = freshness.WaitFirstAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, wanted);

        freshness.Renew(_clock.GetTimestamp());
        Assert.True(await waiting);
    }

    [Fact]
    public async Task AServiceStartingUp_GivesUpAfterItsLimit_WhenNothingIsRead()
    {
        var freshness = new RevocationFreshness(_clock, Grace);

        var waiting = freshness.WaitFirstAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(waiting.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.False(await waiting);
    }

    [Fact]
    public void WithinTheBound_CallsStart_AndPastIt_TheyDoNot()
    {
        var freshness = new RevocationFreshness(_clock, Grace);
        freshness.Renew(_clock.GetTimestamp());
        _clock.Advance(RevocationPromise.MaxStaleness);
        Assert.True(freshness.IsFresh);

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(freshness.IsFresh);
        Assert.False(freshness.IsFailingClosed);
    }

    [Fact]
    public async Task AStaleCall_WaitsForTheNextConfirmation()
    {
        var wanted = 0;
        var freshness = new RevocationFreshness(_clock, Grace, () => wanted++);
        freshness.Renew(_clock.GetTimestamp());
        _clock.Advance(TimeSpan.FromSeconds(2));

        var waiting = freshness.WaitAsync(null, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, wanted);

        freshness.Renew(_clock.GetTimestamp());
        Assert.True(await waiting);
    }

    [Fact]
    public async Task AStaleCall_IsRefused_WhenTheGracePeriodRunsOut()
    {
        var freshness = new RevocationFreshness(_clock, Grace);
        freshness.Renew(_clock.GetTimestamp());
        _clock.Advance(TimeSpan.FromSeconds(2));

        var waiting = freshness.WaitAsync(null, CancellationToken.None).AsTask();
        _clock.Advance(TimeSpan.FromSeconds(3));
        Assert.False(await waiting);

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(freshness.IsFailingClosed);
    }

    [Fact]
    public void AnOlderConfirmation_ArrivingLate_DoesNotMoveFreshnessBack()
    {
        var freshness = new RevocationFreshness(_clock, Grace);
        var older = _clock.GetTimestamp();
        _clock.Advance(TimeSpan.FromMilliseconds(900));
        freshness.Renew(_clock.GetTimestamp());
        freshness.Renew(older);

        _clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.True(freshness.IsFresh);
    }

    [Fact]
    public async Task AStaleCall_WaitsNoLongerThanItsCallersBudget()
    {
        var freshness = new RevocationFreshness(_clock, Grace);
        freshness.Renew(_clock.GetTimestamp());
        _clock.Advance(TimeSpan.FromSeconds(2));

        var waiting = freshness.WaitAsync(TimeSpan.FromMilliseconds(500), CancellationToken.None).AsTask();
        _clock.Advance(TimeSpan.FromMilliseconds(500));

        Assert.False(await waiting);
        Assert.False(freshness.IsFailingClosed);
    }
}
