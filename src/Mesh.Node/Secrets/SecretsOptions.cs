namespace Mesh.Node.Secrets;

/// <summary>Bound from <c>Mesh__Secrets__...</c>: the secrets service, and how a node asks it.</summary>
public sealed record SecretsOptions
{
    /// <summary>The service's sealing key (an <c>SX...</c> seed): only the service has it.</summary>
    public string? Key { get; init; }

    /// <summary>A file holding <see cref="Key"/>, instead of the key itself.</summary>
    public string? KeyFile { get; init; }

    /// <summary>How long a node waits, over all its attempts, for the service to release one secret.</summary>
    public TimeSpan ReleaseTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long one attempt waits before the node asks again: the queue group gives the next
    /// attempt to another instance, so a service that died holding the request costs this much.
    /// </summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a node keeps a released secret for one token (never past the token's expiry).</summary>
    public TimeSpan CacheFor { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The queue group the service's instances share.</summary>
    public string QueueGroup { get; init; } = "mesh-secrets";
}
