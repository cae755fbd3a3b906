namespace Mesh.Dashboard.Activity;

/// <summary>
/// One function's calls as their outcomes arrive: per second for the last
/// <see cref="SeriesSeconds"/> (calls, errors by code) for its chart, and latencies for the last
/// <see cref="PercentileSeconds"/> for its p50 and p99. Seconds are kept in rings indexed by the
/// Unix second, so old seconds are overwritten, never swept. Not thread-safe: one reader of the
/// log stream records, and snapshots are taken under the same lock (<see cref="MeshActivity"/>).
/// </summary>
public sealed class FunctionActivity(string name)
{
    public const int SeriesSeconds = 300;
    public const int PercentileSeconds = 60;

    private readonly long[] _second = new long[SeriesSeconds];
    private readonly int[] _calls = new int[SeriesSeconds];
    private readonly Dictionary<string, int>?[] _errors = new Dictionary<string, int>?[SeriesSeconds];
    private readonly LatencyHistogram[] _latency = [.. Enumerable.Range(0, PercentileSeconds).Select(_ => new LatencyHistogram())];
    private readonly long[] _latencySecond = new long[PercentileSeconds];

    public string Name { get; } = name;

    /// <summary>The Unix second of the last outcome seen.</summary>
    public long LastSeen { get; private set; }

    public void Record(long unixSecond, string status, long micros)
    {
        // Older than what the rings hold (a late entry): its slot belongs to a newer second now.
        if (unixSecond <= LastSeen - SeriesSeconds)
        {
            return;
        }

        LastSeen = Math.Max(LastSeen, unixSecond);
        var at = Slot(unixSecond, SeriesSeconds);
        if (_second[at] < unixSecond)
        {
            _second[at] = unixSecond;
            _calls[at] = 0;
            _errors[at]?.Clear();
        }

        if (_second[at] != unixSecond)
        {
            return;
        }

        _calls[at]++;
        if (status != "ok")
        {
            var errors = _errors[at] ??= new Dictionary<string, int>(StringComparer.Ordinal);
            errors[status] = errors.GetValueOrDefault(status) + 1;
        }

        var latency = Slot(unixSecond, PercentileSeconds);
        if (_latencySecond[latency] < unixSecond)
        {
            _latencySecond[latency] = unixSecond;
            _latency[latency].Clear();
        }

        if (_latencySecond[latency] == unixSecond)
        {
            _latency[latency].Add(micros);
        }
    }

    /// <summary>What the function did up to <paramref name="nowSecond"/>: calls per second, oldest first.</summary>
    public FunctionSnapshot Snapshot(long nowSecond)
    {
        var series = new int[SeriesSeconds];
        var failed = new int[SeriesSeconds];
        var errors = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < SeriesSeconds; i++)
        {
            var second = nowSecond - SeriesSeconds + 1 + i;
            var at = Slot(second, SeriesSeconds);
            if (_second[at] == second)
            {
                series[i] = _calls[at];
                foreach (var (code, count) in _errors[at] ?? [])
                {
                    errors[code] = errors.GetValueOrDefault(code) + count;
                    failed[i] += count;
                }
            }
        }

        var recent = new LatencyHistogram();
        for (var second = nowSecond - PercentileSeconds + 1; second <= nowSecond; second++)
        {
            var at = Slot(second, PercentileSeconds);
            if (_latencySecond[at] == second)
            {
                _latency[at].AddTo(recent);
            }
        }

        // Calls per second over the last 10 seconds, the current (partial) one left out.
        var lastTen = series.AsSpan(SeriesSeconds - 11, 10);
        var sum = 0;
        foreach (var calls in lastTen)
        {
            sum += calls;
        }

        return new FunctionSnapshot(Name, sum / 10.0, recent.Percentile(0.5), recent.Percentile(0.99), recent.Count, errors, series, failed);
    }

    private static int Slot(long second, int length) => (int)(((second % length) + length) % length);
}
