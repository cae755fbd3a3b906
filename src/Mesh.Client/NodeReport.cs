using System.Text.Json;
using NATS.Client.Core;

namespace Mesh.Client;

/// <summary>
/// What a node says of itself on <c>$SRV.STATS.mesh-node</c> (the NATS micro-service protocol):
/// whether it is ready, what it has in flight, the calls it served, errors by code and refusals by
/// capability. Read by <c>mesh nodes</c> and the dashboard.
/// </summary>
public sealed record NodeReport(
    string Id,
    bool Ready,
    long InFlight,
    long Calls,
    long Errors,
    long AverageMicros,
    DateTimeOffset? Started,
    IReadOnlyDictionary<string, long> ErrorsByCode,
    IReadOnlyDictionary<string, long> DeniedByCapability,
    double? TokenCacheHitRate = null,
    double? ModuleCacheHitRate = null)
{
    /// <summary>The service name nodes answer the micro-service protocol under.</summary>
    public const string ServiceName = "mesh-node";

    /// <summary>Every node that answers within a second or so, by id; anything else that answers is skipped.</summary>
    public static async Task<List<NodeReport>> GatherAsync(INatsConnection nats, CancellationToken cancellationToken)
    {
        var nodes = new List<NodeReport>();
        var replies = nats.RequestManyAsync<byte[], byte[]>(
            $"$SRV.STATS.{ServiceName}",
            [],
            replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(3), IdleTimeout = TimeSpan.FromMilliseconds(500), StartUpTimeout = TimeSpan.FromSeconds(1) },
            cancellationToken: cancellationToken);
        await foreach (var reply in replies)
        {
            if (TryRead(reply.Data) is { } node)
            {
                nodes.Add(node);
            }
        }

        nodes.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        return nodes;
    }

    /// <summary>One node's stats answer; null when it is not one (anything may answer on $SRV).</summary>
    public static NodeReport? TryRead(byte[]? data)
    {
        try
        {
            var root = JsonDocument.Parse(data ?? []).RootElement;
            var endpoint = root.GetProperty("endpoints")[0];
            var stats = endpoint.GetProperty("data");
            return new NodeReport(
                root.GetProperty("id").GetString() ?? "?",
                stats.TryGetProperty("ready", out var ready) && ready.GetBoolean(),
                stats.GetProperty("in_flight").GetInt64(),
                endpoint.GetProperty("num_requests").GetInt64(),
                endpoint.GetProperty("num_errors").GetInt64(),
                stats.GetProperty("average_invocation_us").GetInt64(),
                root.TryGetProperty("started", out var started) && started.TryGetDateTimeOffset(out var at) ? at : null,
                Counts(stats, "errors"),
                Counts(stats, "denied"),
                HitRate(stats, "token_cache"),
                HitRate(stats, "module_cache"));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException or FormatException)
        {
            return null;
        }
    }

    // Hits over lookups, 0 to 1; null before the first lookup (or from a node that does not say).
    private static double? HitRate(JsonElement stats, string name)
    {
        if (!stats.TryGetProperty(name, out var cache) || !cache.TryGetProperty("hits", out var hits) || !cache.TryGetProperty("misses", out var misses))
        {
            return null;
        }

        var lookups = hits.GetInt64() + misses.GetInt64();
        return lookups == 0 ? null : (double)hits.GetInt64() / lookups;
    }

    private static Dictionary<string, long> Counts(JsonElement stats, string name) =>
        stats.TryGetProperty(name, out var counts) && counts.ValueKind == JsonValueKind.Object
            ? counts.EnumerateObject().ToDictionary(e => Contracts.Wire.PrintableText.Clean(e.Name, 64), e => e.Value.GetInt64(), StringComparer.Ordinal)
            : [];
}
