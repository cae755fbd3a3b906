namespace Mesh.Node.Revocation;

/// <summary>Bound from <c>Mesh__Revocation__...</c>.</summary>
public sealed record RevocationOptions
{
    /// <summary>The key-value bucket of revocations every node watches.</summary>
    public string Bucket { get; init; } = RevocationKeys.DefaultBucket;

    /// <summary>
    /// How long a node keeps serving when it cannot confirm it sees the revocation feed (the bucket
    /// does not answer). Past it, every call is refused with <c>node.revocation_unknown</c>.
    /// </summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the node confirms the feed is there.</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromSeconds(1);
}
