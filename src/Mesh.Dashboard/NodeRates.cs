using Mesh.Client;

namespace Mesh.Dashboard;

/// <summary>
/// Calls per second for each node, from two answers in a row: the calls it counted between them
/// over the time between them. A node seen for the first time, or one whose count went back (it
/// restarted), has no rate yet. Nodes that stop answering are forgotten.
/// </summary>
public sealed class NodeRates
{
    private Dictionary<string, (long Calls, long At)> _last = new(StringComparer.Ordinal);

    /// <param name="at">When the answers came (a <see cref="TimeProvider.GetTimestamp"/>).</param>
    public IReadOnlyList<NodeView> Next(IReadOnlyList<NodeReport> nodes, long at, TimeProvider time)
    {
        var next = new Dictionary<string, (long Calls, long At)>(StringComparer.Ordinal);
        var views = new List<NodeView>(nodes.Count);
        foreach (var node in nodes)
        {
            double? rate = null;
            if (_last.TryGetValue(node.Id, out var last) && node.Calls >= last.Calls)
            {
                var seconds = time.GetElapsedTime(last.At, at).TotalSeconds;
                rate = seconds > 0 ? (node.Calls - last.Calls) / seconds : null;
            }

            next[node.Id] = (node.Calls, at);
            views.Add(NodeView.Of(node, rate));
        }

        _last = next;
        return views;
    }
}
