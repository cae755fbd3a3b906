using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Mesh.Contracts.Wire;

namespace Mesh.Node.Messaging;

/// <summary>Counters this node reports in its NATS micro-service stats (<c>$SRV.STATS</c>).</summary>
public sealed class NodeStats
{
    private readonly ConcurrentDictionary<ErrorCode, long> _errors = new();
    private readonly ConcurrentDictionary<string, long> _denied = new(StringComparer.Ordinal);
    private long _invocations;
    private long _invocationMicroseconds;
    private long _overloaded;
    private long _received;
    private long _replyRefused;
    private long _errorCount;

    public long Invocations => Interlocked.Read(ref _invocations);

    private int _inFlight;

    public int InFlight => Volatile.Read(ref _inFlight);

    public void Started() => Interlocked.Increment(ref _inFlight);

    public void Completed(ErrorCode code, long microseconds)
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Increment(ref _invocations);
        Interlocked.Add(ref _invocationMicroseconds, microseconds);
        if (code != ErrorCode.None)
        {
            Refused(code);
        }
    }

    /// <summary>Counts an error answered without running anything (a cached refusal, a malformed token).</summary>
    public void Refused(ErrorCode code)
    {
        Interlocked.Increment(ref _errorCount);
        _errors.AddOrUpdate(code, 1, (_, n) => n + 1);
    }

    public void Overloaded()
    {
        Interlocked.Increment(ref _overloaded);
        Interlocked.Increment(ref _errorCount);
    }

    /// <summary>Counts a message the endpoint received, whatever became of it.</summary>
    public void Received() => Interlocked.Increment(ref _received);

    /// <summary>Counts a message not run because its reply subject is not one the node may answer.</summary>
    public void ReplyRefused() => Interlocked.Increment(ref _replyRefused);

    private long _clockSkewMs = long.MinValue;

    /// <summary>How far this node's clock is ahead of the NATS server's (negative: behind), last read.</summary>
    public void ClockSkew(TimeSpan skew) => Interlocked.Exchange(ref _clockSkewMs, (long)skew.TotalMilliseconds);

    /// <summary>The last skew read, in milliseconds, or null before the first reading.</summary>
    public long? ClockSkewMs => Interlocked.Read(ref _clockSkewMs) is var skew && skew != long.MinValue ? skew : null;

    public long ReceivedCount => Interlocked.Read(ref _received);

    public long ReplyRefusedCount => Interlocked.Read(ref _replyRefused);

    public long Errors => Interlocked.Read(ref _errorCount);

    public long ProcessingNanoseconds => Interlocked.Read(ref _invocationMicroseconds) * 1000;

    /// <summary>Counts a capability refused at run time.</summary>
    public void Denied(string capability) => _denied.AddOrUpdate(capability, 1, (_, n) => n + 1);

    public long DeniedOf(string capability) => _denied.GetValueOrDefault(capability);

    public long ErrorsOf(ErrorCode code) => _errors.GetValueOrDefault(code);

    public long OverloadedCount => Interlocked.Read(ref _overloaded);

    /// <summary>Refusals by capability so far, for metrics.</summary>
    public IEnumerable<KeyValuePair<string, long>> DeniedByCapability => _denied;

    public JsonNode ToJson()
    {
        var invocations = Invocations;
        var errors = new JsonObject();
        foreach (var (code, count) in _errors.OrderBy(e => e.Key))
        {
            errors[code.ToWire()] = count;
        }

        return new JsonObject
        {
            ["invocations"] = invocations,
            ["in_flight"] = InFlight,
            ["overloaded"] = Interlocked.Read(ref _overloaded),
            ["reply_refused"] = ReplyRefusedCount,
            // Ahead of the NATS server's clock (negative: behind): schedules correct for it; tokens tolerate 30 s.
            ["clock_skew_ms"] = ClockSkewMs,
            ["average_invocation_us"] = invocations == 0 ? 0 : Interlocked.Read(ref _invocationMicroseconds) / invocations,
            ["errors"] = errors,
            ["denied"] = new JsonObject([.. _denied.OrderBy(d => d.Key).Select(d => KeyValuePair.Create(d.Key, (JsonNode?)d.Value))]),
            // How warm the node is: methods the JIT has compiled so far, tier-ups included. A
            // benchmark measures once this stops growing.
            ["jit_methods"] = System.Runtime.JitInfo.GetCompiledMethodCount(),
            // What serving costs in memory: bytes allocated and gen-0 collections since start,
            // which a benchmark divides by the calls between two readings.
            ["allocated_bytes"] = GC.GetTotalAllocatedBytes(),
            ["gen0_collections"] = GC.CollectionCount(0),
        };
    }
}
