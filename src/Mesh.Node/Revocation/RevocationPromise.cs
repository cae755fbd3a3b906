namespace Mesh.Node.Revocation;

/// <summary>
/// The one bound both sides of a revocation keep. A node starts a call only while it knows
/// everything revoked up to at most <see cref="MaxStaleness"/> ago (it asked the bucket for its
/// last revision no longer ago than that, and its watch had applied it); <c>mesh token revoke</c>
/// returns only once that long has passed since the bucket acknowledged the revocation. So once
/// the command returns, no node starts a call with the token, whatever fell behind or reconnected.
/// A constant, not a setting: a node set looser than the command waits would break the promise.
/// </summary>
public static class RevocationPromise
{
    public static readonly TimeSpan MaxStaleness = TimeSpan.FromSeconds(1);

    /// <summary>What the command waits after the acknowledgement: the bound and a margin for timer granularity.</summary>
    public static readonly TimeSpan CommandWait = MaxStaleness + TimeSpan.FromMilliseconds(100);
}
