using Microsoft.Extensions.Logging;

namespace Mesh.Client;

/// <summary>
/// The loggers the NATS client gets: each entry is one line, the exception reduced to its type and
/// message. The client logs every failed connection attempt with the socket exception; with its
/// stack trace that was a screenful every second while NATS was down, and the trace says nothing
/// an operator can act on.
/// </summary>
public sealed class OneLineLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new OneLineLogger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    // The inner factory belongs to the host, which disposes it.
    public void Dispose()
    {
    }

    private sealed class OneLineLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (exception is null)
            {
                inner.Log(logLevel, eventId, state, null, formatter);
                return;
            }

            var reason = $"{exception.GetType().Name}: {Contracts.Wire.PrintableText.Clean(exception.Message, 300)}";
            inner.Log(logLevel, eventId, state, null, (s, e) => $"{formatter(s, e)} ({reason})");
        }
    }
}
