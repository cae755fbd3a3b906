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

    private readonly Lock _lock = new();
    private readonly Dictionary<string, FunctionActivity> _functions = new(StringComparer.Ordinal);
    private readonly Queue<RefusalEvent> _refusals = new();

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

            foreach (var denied in entry.Denied ?? [])
            {
                var colon = denied.IndexOf(':', StringComparison.Ordinal);
                Refused(colon > 0
                    ? new RefusalEvent(entry.Time, entry.Function, denied[..colon], denied[(colon + 1)..], entry.Token, entry.Node)
                    : new RefusalEvent(entry.Time, entry.Function, denied, "", entry.Token, entry.Node));
            }
        }
    }

    /// <summary>Every function seen, by name, and the refusals, newest first.</summary>
    public (IReadOnlyList<FunctionSnapshot> Functions, IReadOnlyList<RefusalEvent> Refusals) Snapshot()
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        lock (_lock)
        {
            return (
                [.. _functions.Values.OrderBy(f => f.Name, StringComparer.Ordinal).Select(f => f.Snapshot(now))],
                [.. _refusals.Reverse()]);
        }
    }

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
