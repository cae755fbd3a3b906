namespace Mesh.Node.Tokens;

/// <summary>Bound from <c>Mesh__TokenCache__Capacity</c>.</summary>
public sealed record VerifiedTokenCacheOptions
{
    /// <summary>Most verified tokens held at once; memory stays bounded whatever callers send.</summary>
    public int Capacity { get; init; } = 10_000;
}
