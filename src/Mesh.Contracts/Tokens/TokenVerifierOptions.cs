namespace Mesh.Contracts.Tokens;

/// <summary>How a node verifies tokens. Bound from configuration (<c>Mesh__Tokens__TrustedRoots__0</c>, ...).</summary>
public sealed record TokenVerifierOptions
{
    public const int DefaultMaxTokenBytes = 8 * 1024;

    /// <summary>Issuer public keys (<c>O...</c>) whose root blocks are trusted. Nothing else is.</summary>
    public IReadOnlyList<string> TrustedRoots { get; init; } = [];

    /// <summary>Tolerance for clocks that disagree, applied to both ends of a token's window.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Decoded tokens larger than this are refused before parsing.</summary>
    public int MaxTokenBytes { get; init; } = DefaultMaxTokenBytes;

    /// <summary>Hard cap on blocks after the root, whatever a token's own maximum depth says.</summary>
    public int MaxDepth { get; init; } = 16;
}
