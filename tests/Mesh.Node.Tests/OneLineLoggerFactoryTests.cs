using Mesh.Client;
using Microsoft.Extensions.Logging;

namespace Mesh.Node.Tests;

public sealed class OneLineLoggerFactoryTests
{
    [Fact]
    public void AnEntryWithAnException_IsOneLine_WithTheExceptionsTypeAndMessage_AndNoStackTrace()
    {
        var sink = new ListLoggerProvider();
        using var inner = LoggerFactory.Create(b => b.AddProvider(sink));
        var logger = new OneLineLoggerFactory(inner).CreateLogger("NATS.Client.Core.NatsConnection");
        Exception thrown;
        try
        {
            throw new System.Net.Sockets.SocketException(111);
        }
        catch (Exception e)
        {
            thrown = e;
        }

        logger.Log(LogLevel.Error, new EventId(1001), "Fail to connect NATS nats://127.0.0.1:4999", thrown, (state, _) => state);

        var entry = Assert.Single(sink.Entries);
        Assert.Null(entry.Exception);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.StartsWith("Fail to connect NATS nats://127.0.0.1:4999 (SocketException: ", entry.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', entry.Message);
    }

    [Fact]
    public void AnEntryWithoutAnException_IsPassedOnAsItIs()
    {
        var sink = new ListLoggerProvider();
        using var inner = LoggerFactory.Create(b => b.AddProvider(sink));

        new OneLineLoggerFactory(inner).CreateLogger("x").Log(LogLevel.Warning, default, "reconnected to nats://a:4222", null, (state, _) => state);

        Assert.Equal("reconnected to nats://a:4222", Assert.Single(sink.Entries).Message);
    }

    private sealed class ListLoggerProvider : ILoggerProvider
    {
        public List<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = [];

        public ILogger CreateLogger(string categoryName) => new ListLogger(Entries);

        public void Dispose()
        {
        }

        private sealed class ListLogger(List<(LogLevel, string, Exception?)> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Add((logLevel, formatter(state, exception), exception));
        }
    }
}
