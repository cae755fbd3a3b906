namespace Mesh.Client;

/// <summary>How to make one call.</summary>
public sealed record CallOptions
{
    /// <summary>How long to wait for each attempt's answer; 90% of it (a second less at least) goes to the chain as its budget.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether running the function twice is harmless. Only then are attempts that may have run
    /// (a timeout) tried again; attempts no node admitted are retried either way.
    /// </summary>
    public bool Idempotent { get; init; }

    /// <summary>Further attempts after the first, with exponential backoff and jitter.</summary>
    public int Retries { get; init; } = 2;

    /// <summary>First backoff; each next one doubles, with jitter.</summary>
    public TimeSpan Backoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Which granted module to run (<c>sha256:HEX</c>); null for the grant's first.</summary>
    public string? Module { get; init; }

    /// <summary>
    /// When set: the call must start within this long of reaching a node (<c>Mesh-Start-Within</c>),
    /// and the node says when it does. An attempt that hears nothing by then (its node died, or
    /// could not start it) did not run and will not, and is tried again like one no node took;
    /// one that started and then went silent is a timeout, retried only when <see cref="Idempotent"/>.
    /// </summary>
    public TimeSpan? StartWithin { get; init; }

    /// <summary>More headers for the call (the gateway's <c>Mesh-Http-Request</c> and trace context).</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Headers { get; init; }
}
