using System.Diagnostics;

namespace Mesh.Node.Invocations;

/// <summary>
/// A call whose caller asked to hear when it starts (<c>Mesh-Start-Within</c>): told just before
/// the function runs, and not run at all once that would be later than the caller allowed, since
/// by then the caller may have tried another node. A node that dies with the call in its queue
/// thus leaves the caller free to retry it without it running twice.
/// </summary>
public sealed class StartNotice(long arrived, TimeSpan within, Func<ValueTask> tell)
{
    /// <summary>The longest a caller may ask a call to wait for its start.</summary>
    public static readonly TimeSpan MaxWithin = TimeSpan.FromMinutes(10);

    public TimeSpan Within => within;

    /// <summary>Whether the call has waited past what its caller allowed (counted from when it reached the node).</summary>
    public bool IsTooLate => Stopwatch.GetElapsedTime(arrived) > within;

    public ValueTask TellAsync() => tell();
}
