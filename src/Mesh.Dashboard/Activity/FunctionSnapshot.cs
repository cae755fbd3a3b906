namespace Mesh.Dashboard.Activity;

/// <summary>
/// One function as the dashboard shows it: calls per second (the last 10 s), p50 and p99 in µs
/// over the last minute (within a histogram bucket, about 19%), errors by code over the series,
/// and calls and errors per second for the last five minutes, oldest first.
/// </summary>
public sealed record FunctionSnapshot(
    string Name,
    double CallsPerSecond,
    long P50Micros,
    long P99Micros,
    long CallsLastMinute,
    IReadOnlyDictionary<string, long> ErrorsByCode,
    IReadOnlyList<int> CallsPerSecondSeries,
    IReadOnlyList<int> ErrorsPerSecondSeries);
