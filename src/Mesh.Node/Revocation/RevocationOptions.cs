namespace Mesh.Node.Revocation;

/// <summary>Bound from <c>Mesh__Revocation__...</c>.</summary>
public sealed record RevocationOptions
{
    /// <summary>The key-value bucket of revocations every node watches.</summary>
    public string Bucket { get; init; } = RevocationKeys.DefaultBucket;

    /// <summary>
    /// How long calls wait when the node cannot confirm it holds every revocation (the bucket does
    /// not answer, NATS reconnects): a call starts once it can, within this. Past it, every call is
    /// refused at once with <c>node.revocation_unknown</c> until the node confirms again.
    /// </summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How often the node asks the bucket for its last revision and confirms its watch has it: at
    /// most half of <see cref="RevocationPromise.MaxStaleness"/>, so calls never wait for it when
    /// all is well. One small JetStream request per interval per node.
    /// </summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromMilliseconds(250);
}
