namespace Mesh.Node.Jobs;

/// <summary>Bound from <c>Mesh__Jobs__...</c>: durable triggers through JetStream.</summary>
public sealed record JobOptions
{
    /// <summary>Whether the node takes jobs from the <c>MESH_JOBS</c> stream at all.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Jobs this node runs at once (besides request/reply calls).</summary>
    public int Concurrency { get; init; } = 2;

    /// <summary>Deliveries of one job before it goes to the dead letters.</summary>
    public int MaxDeliveries { get; init; } = 5;

    /// <summary>The waits when <see cref="Backoff"/> is not set.</summary>
    public static readonly IReadOnlyList<TimeSpan> DefaultBackoff = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30)];

    /// <summary>
    /// Waits before the second, third, ... delivery of a job that failed (the last one repeats).
    /// Unset means <see cref="DefaultBackoff"/>; a list that is set replaces it whole. (A default
    /// held here would be appended to by the configuration binder, not replaced.)
    /// </summary>
    public TimeSpan[]? Backoff { get; init; }

    /// <summary>The waits that apply: <see cref="Backoff"/> when set, else the defaults.</summary>
    public IReadOnlyList<TimeSpan> EffectiveBackoff => Backoff is { Length: > 0 } backoff ? backoff : DefaultBackoff;

    /// <summary>How long a delivered job may go unacknowledged before another node gets it (a node died holding it).</summary>
    public TimeSpan AckWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long JetStream remembers a message id, so a job published twice runs once.</summary>
    public TimeSpan DuplicateWindow { get; init; } = TimeSpan.FromMinutes(2);
}
