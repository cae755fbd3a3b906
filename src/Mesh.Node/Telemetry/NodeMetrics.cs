using System.Diagnostics.Metrics;
using Mesh.Contracts.Wire;
using Mesh.Node.Messaging;
using Mesh.Node.Modules;
using Mesh.Node.Tokens;

namespace Mesh.Node.Telemetry;

/// <summary>
/// The node's metrics on the <c>Mesh.Node</c> meter (System.Diagnostics.Metrics, exported over OTLP
/// with the spans): invocations and their duration by status, capabilities denied, calls refused
/// as overloaded, in-flight invocations, and hits and misses of the token and module caches.
/// Counts kept elsewhere are read when collected, so the hot path only records the duration.
/// </summary>
public sealed class NodeMetrics : IDisposable
{
    public const string MeterName = "Mesh.Node";

    private readonly Meter _meter;
    private readonly Counter<long> _invocations;
    private readonly Histogram<double> _duration;

    public NodeMetrics(IMeterFactory meters, NodeStats stats, VerifiedTokenCache tokens, ModuleCache modules)
    {
        _meter = meters.Create(MeterName);
        _invocations = _meter.CreateCounter<long>("mesh.invocations", "{invocation}", "Invocations ended, by status (ok or an error code)");
        _duration = _meter.CreateHistogram<double>("mesh.invocation.duration", "s", "Time from a message's admission to its outcome, by status");
        _meter.CreateObservableUpDownCounter("mesh.invocations.in_flight", () => (long)stats.InFlight, "{invocation}", "Invocations running now");
        _meter.CreateObservableCounter("mesh.overloaded", () => stats.OverloadedCount, "{call}", "Calls refused because every worker and queue place was taken");
        _meter.CreateObservableCounter(
            "mesh.capability.denied",
            () => stats.DeniedByCapability.Select(d => new Measurement<long>(d.Value, new KeyValuePair<string, object?>("mesh.capability", d.Key))),
            "{refusal}",
            "Capabilities a function asked for at run time and was refused");
        _meter.CreateObservableCounter("mesh.token_cache.lookups", () => Lookups(tokens.Lookups), "{lookup}", "Token verifications answered from the cache (hit) or by checking signatures (miss)");
        _meter.CreateObservableCounter("mesh.module_cache.lookups", () => Lookups(modules.Lookups), "{lookup}", "Modules found compiled (hit) or fetched and compiled (miss)");
    }

    public void Completed(ErrorCode code, double seconds)
    {
        var status = new KeyValuePair<string, object?>("mesh.status", code.ToWire());
        _invocations.Add(1, status);
        _duration.Record(seconds, status);
    }

    public void Dispose() => _meter.Dispose();

    private static Measurement<long>[] Lookups((long Hits, long Misses) lookups) =>
    [
        new(lookups.Hits, new KeyValuePair<string, object?>("result", "hit")),
        new(lookups.Misses, new KeyValuePair<string, object?>("result", "miss")),
    ];
}
