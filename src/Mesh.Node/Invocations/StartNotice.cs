using System.Diagnostics;

namespace Mesh.Node.Invocations;

/// <summary>
/// A call whose caller asked to hear when it starts (<c>Mesh-Start-Within</c>): told just before
/// the function runs, and not run at all once that would be later than the caller allowed, since
/// by then the caller may have tried another node. A node that dies with the call in its queue
/// thus leaves the caller free to retry it without it running twice.
/// </summary>
public sealed class StartNotice(long arrived, TimeSpan within, Func<CancellationToken, ValueTask> tell)
{
    /// <summary>The longest a caller may ask a call to wait for its start.</summary>
    public static readonly TimeSpan MaxWithin = TimeSpan.FromMinutes(10);

    public TimeSpan Within => within;

    /// <summary>What is left of the caller's allowance (counted from when the call reached the node).</summary>
    private TimeSpan Left => within - Stopwatch.GetElapsedTime(arrived);

    /// <summary>
    /// Tells the caller the call starts; false when the allowance is spent first (waiting, or a
    /// publish held up by a connection that is down): then it must not run here.
    /// </summary>
    public async ValueTask<bool> TellAsync()
    {
        var left = Left;
        if (left <= TimeSpan.Zero)
        {
            return false;
        }

        using var bounded = new CancellationTokenSource(left);
        try
        {
            await tell(bounded.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
