using Mesh.Client;

namespace Mesh.Dashboard;

/// <summary>A node as the page shows it: its stats and the calls per second since the last time it was asked.</summary>
public sealed record NodeView(
    string Id,
    bool Ready,
    long InFlight,
    long Calls,
    double? CallsPerSecond,
    long Errors,
    long AverageMicros,
    double? TokenCacheHitRate,
    double? ModuleCacheHitRate,
    IReadOnlyDictionary<string, long> ErrorsByCode,
    IReadOnlyDictionary<string, long> DeniedByCapability)
{
    public static NodeView Of(NodeReport node, double? callsPerSecond) => new(
        node.Id, node.Ready, node.InFlight, node.Calls, callsPerSecond, node.Errors, node.AverageMicros,
        node.TokenCacheHitRate, node.ModuleCacheHitRate, node.ErrorsByCode, node.DeniedByCapability);
}
