namespace Mesh.Node.FunctionLogs;

/// <summary>
/// <c>Mesh:FunctionLogs</c>: what a node publishes on <c>mesh.log.FUNCTION</c> (guest log lines
/// and each invocation's outcome), and the bounds that keep a busy or hostile function from
/// turning its log into a flood.
/// </summary>
public sealed record FunctionLogOptions
{
    public bool Enabled { get; init; } = true;

    /// <summary>Entries a node publishes per function per second; the rest are counted as dropped.</summary>
    public int EntriesPerSecond { get; init; } = 200;

    /// <summary>How long entries gather before a node publishes them: one message per function per interval.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Entries waiting to be published, all functions together; beyond it they are dropped.</summary>
    public int QueueLength { get; init; } = 10_000;
}
