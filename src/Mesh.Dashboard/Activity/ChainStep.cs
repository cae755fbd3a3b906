namespace Mesh.Dashboard.Activity;

/// <summary>One step of a chain as its node reported it: when it ended, its place, how it ended and how long it took.</summary>
public sealed record ChainStep(DateTimeOffset Time, int Step, string Function, string Status, long Micros, string? Node);

/// <summary>A recent chain: its trace id and its steps in order.</summary>
public sealed record ChainSnapshot(string Trace, DateTimeOffset Time, IReadOnlyList<ChainStep> Steps);
