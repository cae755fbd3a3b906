using Mesh.Contracts.Wire;

namespace Mesh.Node.FunctionLogs;

/// <summary>
/// Gathers log entries into one batch per function, keeping each function within its entries per
/// second: what is over is counted, and the count is published as a <c>dropped</c> entry when
/// its second is over. Used by one loop only, so it takes no locks.
/// </summary>
public sealed class FunctionLogBatcher(int entriesPerSecond)
{
    private readonly Dictionary<string, FunctionWindow> _functions = new(StringComparer.Ordinal);

    /// <summary>Adds an entry unless its function is over its rate this second; false when it was dropped.</summary>
    public bool Add(FunctionLogLine line)
    {
        var second = line.Time.ToUnixTimeSeconds();
        if (!_functions.TryGetValue(line.Function, out var window))
        {
            window = new FunctionWindow(second);
            _functions[line.Function] = window;
        }

        window.Roll(second, line.Function);
        if (window.Count >= entriesPerSecond)
        {
            window.Dropped++;
            return false;
        }

        window.Count++;
        window.Batch.Add(line);
        return true;
    }

    /// <summary>
    /// Takes every function's batch (a <c>dropped</c> entry first where a past second dropped
    /// some), and forgets functions that logged nothing for a minute.
    /// </summary>
    public List<(string Function, List<FunctionLogLine> Lines)> Take(DateTimeOffset now)
    {
        var second = now.ToUnixTimeSeconds();
        var batches = new List<(string, List<FunctionLogLine>)>();
        List<string>? idle = null;
        foreach (var (function, window) in _functions)
        {
            window.Roll(second, function);
            if (window.Batch.Count > 0)
            {
                batches.Add((function, window.Batch));
                window.Batch = [];
                window.LastActive = second;
            }
            else if (second - window.LastActive > 60 && window.Dropped == 0)
            {
                (idle ??= []).Add(function);
            }
        }

        foreach (var function in idle ?? [])
        {
            _functions.Remove(function);
        }

        return batches;
    }

    private sealed class FunctionWindow(long second)
    {
        public long Second { get; private set; } = second;

        public long LastActive { get; set; } = second;

        public int Count { get; set; }

        public long Dropped { get; set; }

        public List<FunctionLogLine> Batch { get; set; } = [];

        // A new second: what the last one dropped goes out first in the next batch.
        public void Roll(long second, string function)
        {
            if (second <= Second)
            {
                return;
            }

            if (Dropped > 0)
            {
                Batch.Insert(0, new FunctionLogLine
                {
                    Time = DateTimeOffset.FromUnixTimeSeconds(Second),
                    Kind = FunctionLogLine.Kinds.Dropped,
                    Function = function,
                    DroppedCount = Dropped,
                    Message = $"{Dropped} entries left out in this second: over this node's rate for the function (Mesh:FunctionLogs:EntriesPerSecond)",
                });
            }

            Second = second;
            Count = 0;
            Dropped = 0;
        }
    }
}
