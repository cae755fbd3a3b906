using Mesh.Contracts.Wire;

namespace Mesh.Node.FunctionLogs;

/// <summary>
/// Gathers queued entries into one batch per function, in the order they came, with what each
/// function left out (<see cref="FunctionLogRate"/>) first. Used by one loop only: no locks.
/// </summary>
public sealed class FunctionLogBatcher
{
    private readonly Dictionary<string, List<FunctionLogLine>> _batches = new(StringComparer.Ordinal);

    public void Add(FunctionLogLine line) => BatchOf(line.Function).Add(line);

    /// <summary>Puts a <c>dropped</c> entry at the head of the function's batch.</summary>
    public void Dropped(string function, long second, long count) => BatchOf(function).Insert(0, new FunctionLogLine
    {
        Time = DateTimeOffset.FromUnixTimeSeconds(second),
        Kind = FunctionLogLine.Kinds.Dropped,
        Function = function,
        DroppedCount = count,
        Message = $"{count} entries left out: over this node's rate for the function (Mesh:FunctionLogs:EntriesPerSecond)",
    });

    /// <summary>Every function's batch; afterwards the batcher is empty.</summary>
    public List<(string Function, List<FunctionLogLine> Lines)> Take()
    {
        var batches = _batches.Where(b => b.Value.Count > 0).Select(b => (b.Key, b.Value)).ToList();
        _batches.Clear();
        return batches;
    }

    private List<FunctionLogLine> BatchOf(string function)
    {
        if (!_batches.TryGetValue(function, out var batch))
        {
            batch = [];
            _batches[function] = batch;
        }

        return batch;
    }
}
