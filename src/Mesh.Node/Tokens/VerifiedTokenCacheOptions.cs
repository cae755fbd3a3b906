namespace Mesh.Node.Tokens;

/// <summary>Bound from <c>Mesh__TokenCache__...</c>.</summary>
public sealed record VerifiedTokenCacheOptions
{
    /// <summary>Most verified tokens held at once; memory stays bounded whatever callers send.</summary>
    public int Capacity { get; init; } = 10_000;

    /// <summary>Most recent refusals held at once: a token refused once is refused again for a lookup, not a verification.</summary>
    public int RefusalCapacity { get; init; } = 10_000;

    /// <summary>How long a refusal is remembered.</summary>
    public TimeSpan RefusalLifetime { get; init; } = TimeSpan.FromMinutes(1);
}
