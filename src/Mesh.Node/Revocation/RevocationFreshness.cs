namespace Mesh.Node.Revocation;

/// <summary>
/// How current a node's copy of the revocations is: the moment up to which it is known to hold
/// every revocation (taken before asking the bucket, so never later than the truth). Fresh within
/// <see cref="RevocationPromise.MaxStaleness"/>: calls start. Staler, up to the grace period:
/// calls wait for the next confirmation. Staler than that, or never confirmed: calls are refused.
/// Pure time arithmetic, tested with a fake clock.
/// </summary>
public sealed class RevocationFreshness(TimeProvider time, TimeSpan grace, Action? wanted = null)
{
    private const long Never = long.MinValue;
    private long _currentAsOf = Never;
    private TaskCompletionSource _renewed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How long ago the node last knew it held every revocation; <see cref="TimeSpan.MaxValue"/> if never.</summary>
    public TimeSpan Staleness
    {
        get
        {
            var asOf = Volatile.Read(ref _currentAsOf);
            return asOf == Never ? TimeSpan.MaxValue : time.GetElapsedTime(asOf);
        }
    }

    public bool IsFresh => Staleness <= RevocationPromise.MaxStaleness;

    /// <summary>Past the grace period: the node refuses instead of making calls wait.</summary>
    public bool IsFailingClosed => Staleness > grace;

    /// <summary>The node holds every revocation made before <paramref name="asOf"/> (a <see cref="TimeProvider.GetTimestamp"/>). Only ever moves forward.</summary>
    public void Renew(long asOf)
    {
        long current;
        do
        {
            current = Volatile.Read(ref _currentAsOf);
            if (current != Never && asOf <= current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _currentAsOf, asOf, current) != current);

        Interlocked.Exchange(ref _renewed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>
    /// For a service starting up: true once the copy is fresh, false after <paramref name="limit"/>.
    /// Unlike <see cref="WaitAsync"/>, a copy never confirmed is waited for, not refused at once.
    /// </summary>
    public async Task<bool> WaitFirstAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        wanted?.Invoke();
        var started = time.GetTimestamp();
        while (!IsFresh)
        {
            var renewed = Volatile.Read(ref _renewed).Task;
            var left = limit - time.GetElapsedTime(started);
            if (IsFresh)
            {
                break;
            }

            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            try
            {
                await renewed.WaitAsync(left, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                return IsFresh;
            }
        }

        return true;
    }

    /// <summary>
    /// True once fresh; false when the grace period runs out first (or already has), or
    /// <paramref name="within"/> does (a caller's remaining budget: no use waiting past it).
    /// </summary>
    public ValueTask<bool> WaitAsync(TimeSpan? within, CancellationToken cancellationToken) =>
        IsFresh ? ValueTask.FromResult(true) : WaitSlowAsync(within, cancellationToken);

    private async ValueTask<bool> WaitSlowAsync(TimeSpan? within, CancellationToken cancellationToken)
    {
        wanted?.Invoke();
        var started = time.GetTimestamp();
        while (true)
        {
            // Take the signal before looking, so a renewal in between is not missed.
            var renewed = Volatile.Read(ref _renewed).Task;
            var staleness = Staleness;
            if (staleness <= RevocationPromise.MaxStaleness)
            {
                return true;
            }

            var left = grace - staleness;
            if (within is { } limit && limit - time.GetElapsedTime(started) < left)
            {
                left = limit - time.GetElapsedTime(started);
            }

            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            try
            {
                await renewed.WaitAsync(left, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                // Looked at again above: now past the grace period or the caller's budget.
            }
        }
    }
}
