namespace Mesh.Contracts.Tokens;

/// <summary>
/// Resource limits for one invocation. Null means "this block sets none": the effective limit is
/// the smallest any block sets, and the node's own ceilings cap it in every case.
/// </summary>
public sealed record Limits(
    long? Fuel = null,
    long? MemoryBytes = null,
    long? WallTimeMs = null,
    long? OutputBytes = null,
    long? HostCalls = null)
{
    public static readonly Limits None = new();

    /// <summary>Whether <paramref name="child"/> is no looser than this on every limit this sets.</summary>
    public bool Covers(Limits child) =>
        NoLooser(Fuel, child.Fuel) && NoLooser(MemoryBytes, child.MemoryBytes) && NoLooser(WallTimeMs, child.WallTimeMs)
        && NoLooser(OutputBytes, child.OutputBytes) && NoLooser(HostCalls, child.HostCalls);

    /// <summary>The tighter of the two on every limit.</summary>
    public Limits Tighten(Limits other) => new(
        Min(Fuel, other.Fuel), Min(MemoryBytes, other.MemoryBytes), Min(WallTimeMs, other.WallTimeMs),
        Min(OutputBytes, other.OutputBytes), Min(HostCalls, other.HostCalls));

    public string? Validate() =>
        new[] { Fuel, MemoryBytes, WallTimeMs, OutputBytes, HostCalls }.Any(v => v is <= 0)
            ? "limits must be positive"
            : null;

    private static bool NoLooser(long? parent, long? child) => parent is null || (child is { } c && c <= parent);

    private static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
}
