using System.Diagnostics;

namespace Mesh.Bench;

/// <summary>Throughput and latency of an operation run <c>runs</c> times with <c>concurrency</c> in flight, after a warm-up.</summary>
public sealed record LoadRun(double PerSecond, double P50, double P99)
{
    public static async Task<LoadRun> MeasureAsync(Func<Task> operation, int concurrency, int runs)
    {
        await RunAsync(operation, concurrency, Math.Min(1_000, runs / 5));
        return await RunAsync(operation, concurrency, runs);
    }

    /// <summary>One run as it comes, no warm-up: for a cold process, or when the caller warmed it.</summary>
    public static async Task<LoadRun> RunAsync(Func<Task> operation, int concurrency, int runs)
    {
        var latencies = new double[runs];
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < runs)
            {
                var started = Stopwatch.GetTimestamp();
                await operation();
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            }
        }));
        var elapsed = clock.Elapsed;
        Array.Sort(latencies);
        return new LoadRun(runs / elapsed.TotalSeconds, latencies[runs / 2], latencies[(int)(runs * 0.99)]);
    }
}
