using Mesh.Contracts.Wire;

namespace Mesh.Dashboard.Activity;

/// <summary>
/// What the mesh is doing, built from the entries nodes publish on <c>mesh.log.&gt;</c>: each
/// function's calls, latencies and errors, and every refusal (a capability a token did not grant,
/// or a token refused by code) as it happens. Bounded: at most <see cref="MaxFunctions"/>
/// functions (the one seen longest ago goes first) and the last <see cref="MaxRefusals"/>
/// refusals. Recorded by one reader, read by any number of viewers.
/// </summary>
public sealed class MeshActivity(TimeProvider time)
{
    public const int MaxFunctions = 1000;
    public const int MaxRefusals = 500;

    /// <summary>Steps kept to find chains in; a chain shows while its steps are among them.</summary>
    public const int MaxSteps = 2000;

    /// <summary>Chains shown: the most recent that took more than one step.</summary>
    public const int ChainsShown = 20;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, FunctionActivity> _functions = new(StringComparer.Ordinal);
    private readonly Queue<RefusalEvent> _refusals = new();
    private readonly Queue<(string Trace, ChainStep Step)> _steps = new();

    public void Record(FunctionLogLine entry)
    {
        if (entry.Kind != FunctionLogLine.Kinds.Outcome || entry.Status is not { } status || !FunctionName.IsValid(entry.Function))
        {
            return;
        }

        lock (_lock)
        {
            Function(entry.Function).Record(entry.Time.ToUnixTimeSeconds(), status, entry.Micros);
            if (status.StartsWith("token.", StringComparison.Ordinal))
            {
                Refused(new RefusalEvent(entry.Time, entry.Function, status, "", entry.Token, entry.Node));
            }

            if (entry.Trace is { Length: > 0 and <= 64 } trace)
            {
                if (_steps.Count >= MaxSteps)
                {
                    _steps.Dequeue();
                }

                _steps.Enqueue((trace, new ChainStep(entry.Time, entry.Step, entry.Function, status, entry.Micros, entry.Node)));
            }

            foreach (var denied in entry.Denied ?? [])
            {
                var colon = denied.IndexOf(':', StringComparison.Ordinal);
                Refused(colon > 0
                    ? new RefusalEvent(entry.Time, entry.Function, denied[..colon], denied[(colon + 1)..], entry.Token, entry.Node)
                    : new RefusalEvent(entry.Time, entry.Function, denied, "", entry.Token, entry.Node));
            }
        }
    }

    /// <summary>Every function seen, by name; the refusals, newest first; and the recent chains, newest first.</summary>
    public (IReadOnlyList<FunctionSnapshot> Functions, IReadOnlyList<RefusalEvent> Refusals, IReadOnlyList<ChainSnapshot> Chains) Snapshot()
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        lock (_lock)
        {
            return (
                [.. _functions.Values.OrderBy(f => f.Name, StringComparer.Ordinal).Select(f => f.Snapshot(now))],
                [.. _refusals.Reverse()],
                Chains());
        }
    }

    // Steps grouped by trace: chains of more than one step, the one that ended last first.
    private List<ChainSnapshot> Chains() =>
    [
        .. _steps.GroupBy(s => s.Trace, StringComparer.Ordinal)
            .Where(g => g.Count() > 1)
            .Select(g => new ChainSnapshot(g.Key, g.Min(s => s.Step.Time), [.. g.Select(s => s.Step).OrderBy(s => s.Step).ThenBy(s => s.Time)]))
            .OrderByDescending(c => c.Steps[^1].Time)
            .Take(ChainsShown),
    ];

    private FunctionActivity Function(string name)
    {
        if (!_functions.TryGetValue(name, out var function))
        {
            if (_functions.Count >= MaxFunctions)
            {
                _functions.Remove(_functions.Values.MinBy(f => f.LastSeen)!.Name);
            }

            _functions[name] = function = new FunctionActivity(name);
        }

        return function;
    }

    private void Refused(RefusalEvent refusal)
    {
        if (_refusals.Count >= MaxRefusals)
        {
            _refusals.Dequeue();
        }

        _refusals.Enqueue(refusal);
    }
}
