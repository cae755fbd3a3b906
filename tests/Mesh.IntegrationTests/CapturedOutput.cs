using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.IntegrationTests;

/// <summary>
/// Everything a test's nodes and services say: every log entry (all levels, exceptions with their
/// text) and every span with its tags, so a test can grep all of it for what must never appear.
/// </summary>
public sealed class CapturedOutput : ILoggerProvider
{
    private readonly ActivityListener _spans;

    public CapturedOutput()
    {
        _spans = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("Mesh", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => Lines.Enqueue($"span {activity.DisplayName} {activity.StatusDescription} " +
                string.Join(' ', activity.TagObjects.Select(t => $"{t.Key}={t.Value}")) + " " +
                string.Join(' ', activity.Events.Select(e => e.Name + string.Join(' ', e.Tags.Select(t => $"{t.Key}={t.Value}"))))),
        };
        ActivitySource.AddActivityListener(_spans);
    }

    public ConcurrentQueue<string> Lines { get; } = new();

    public string All => string.Join('\n', Lines);

    /// <summary>Adds this as a log sink of a host, at every level.</summary>
    public void AddTo(IServiceCollection services) =>
        services.AddLogging(logging => logging.AddProvider(this).SetMinimumLevel(LogLevel.Trace).AddFilter<CapturedOutput>(null, LogLevel.Trace));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() => _spans.Dispose();

    private sealed class Logger(CapturedOutput output, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            output.Lines.Enqueue($"{logLevel} {category} {formatter(state, exception)} {exception}");
    }
}
