namespace Mesh.Dashboard.Activity;

/// <summary>
/// Latencies in microseconds, counted in buckets four to an octave (each about 19% wide), so a
/// second of any number of calls costs 160 counters and percentiles come out within a bucket's
/// width: a dashboard's p50 and p99, not a benchmark's.
/// </summary>
public sealed class LatencyHistogram
{
    private const int PerOctave = 4;

    /// <summary>Up to 2^40 µs (about 12 days): anything longer counts in the last bucket.</summary>
    private const int Buckets = 40 * PerOctave;

    private readonly int[] _counts = new int[Buckets];

    public long Count { get; private set; }

    public void Add(long micros)
    {
        _counts[Bucket(Math.Max(1, micros))]++;
        Count++;
    }

    public void AddTo(LatencyHistogram total)
    {
        for (var i = 0; i < Buckets; i++)
        {
            total._counts[i] += _counts[i];
        }

        total.Count += Count;
    }

    public void Clear()
    {
        Array.Clear(_counts);
        Count = 0;
    }

    /// <summary>The upper edge of the bucket holding the <paramref name="quantile"/> (0–1); 0 when empty.</summary>
    public long Percentile(double quantile)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(Math.Clamp(quantile, 0, 1) * Count);
        long seen = 0;
        for (var i = 0; i < Buckets; i++)
        {
            seen += _counts[i];
            if (seen >= Math.Max(rank, 1))
            {
                return UpperEdge(i);
            }
        }

        return UpperEdge(Buckets - 1);
    }

    private static int Bucket(long micros)
    {
        var octave = 63 - (int)long.LeadingZeroCount(micros);
        // The two bits after the leading one pick the quarter of the octave.
        var quarter = octave >= 2 ? (int)((micros >> (octave - 2)) & 3) : (int)((micros << (2 - octave)) & 3);
        return Math.Min(Buckets - 1, octave * PerOctave + quarter);
    }

    private static long UpperEdge(int bucket)
    {
        var octave = bucket / PerOctave;
        var quarter = bucket % PerOctave;
        return (long)Math.Ceiling(Math.Pow(2, octave) * (1 + (quarter + 1) / (double)PerOctave));
    }
}
