using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using Mesh.Contracts.Wire;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace Mesh.Node.FunctionLogs;

/// <summary>
/// Publishes what functions log, and how each invocation ended, on <c>mesh.log.FUNCTION</c>: the
/// invocation only queues an entry (never waits, never fails because of it), and one loop
/// publishes each function's entries together every <see cref="FunctionLogOptions.FlushInterval"/>
/// as JSON lines. Entries beyond the queue or a function's rate are counted, not kept.
/// </summary>
public sealed class FunctionLogPublisher : BackgroundService
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();
    private readonly Channel<FunctionLogLine> _queue;
    private readonly FunctionLogOptions _options;
    private readonly INatsConnection _nats;
    private readonly TimeProvider _time;
    private readonly ILogger<FunctionLogPublisher> _logger;
    private readonly string _node;
    private readonly FunctionLogRate _rate;
    private long _overflow;

    public FunctionLogPublisher(INatsConnection nats, IOptions<NodeOptions> options, TimeProvider time, ILogger<FunctionLogPublisher> logger)
    {
        _options = options.Value.FunctionLogs;
        _nats = nats;
        _time = time;
        _logger = logger;
        _node = options.Value.Nats.Name;
        _rate = new FunctionLogRate(_options.EntriesPerSecond);
        _queue = Channel.CreateBounded<FunctionLogLine>(new BoundedChannelOptions(Math.Max(1, _options.QueueLength))
        {
            // Wait, not DropWrite: with Wait, TryWrite says false when full, so the loss is counted.
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    public bool Enabled => _options.Enabled;

    /// <summary>A line the guest logged.</summary>
    public void Line(string function, string tokenId, string invocationId, string level, string text)
    {
        if (Admit(function, out var now))
        {
            Queue(new FunctionLogLine
            {
                Time = now,
                Kind = FunctionLogLine.Kinds.Log,
                Function = function,
                Token = tokenId,
                Invocation = invocationId,
                Level = level,
                Message = PrintableText.Clean(text),
                Node = _node,
            });
        }
    }

    /// <summary>How an invocation ended: ok, or its code and message; and what its token refused it.</summary>
    /// <param name="chain">Where the call stands, for its trace id: made only for an entry admitted, not for one over the rate.</param>
    /// <param name="span">The invocation's span, whose trace id wins when spans are exported.</param>
    public void Outcome(string function, string tokenId, string invocationId, int step, MeshError error, long micros, IReadOnlyList<string>? denied = null, Chaining.ChainPosition? chain = null, System.Diagnostics.Activity? span = null)
    {
        if (Admit(function, out var now))
        {
            Queue(new FunctionLogLine
            {
                Time = now,
                Kind = FunctionLogLine.Kinds.Outcome,
                Function = function,
                Token = tokenId,
                Invocation = invocationId,
                Step = step,
                Status = error.Code == ErrorCode.None ? "ok" : ErrorCodes.ToWire(error.Code),
                Message = error.Code == ErrorCode.None ? null : PrintableText.Clean(error.Message, 1024),
                Micros = Math.Max(1, micros),
                // A copy: the invocation's list goes with its context. Already cleaned and bounded (InvocationContext.Deny).
                Denied = denied is { Count: > 0 } ? [.. denied] : null,
                Trace = span is { IdFormat: System.Diagnostics.ActivityIdFormat.W3C } ? span.TraceId.ToHexString() : chain?.TraceId,
                Node = _node,
            });
        }
    }

    // Over the function's rate, an entry is only counted: nothing is allocated or queued.
    private bool Admit(string function, out DateTimeOffset now)
    {
        now = _time.GetUtcNow();
        return _options.Enabled && FunctionName.IsValid(function) && _rate.TryAdmit(function, now.ToUnixTimeSeconds());
    }

    private void Queue(FunctionLogLine line)
    {
        if (!_queue.Writer.TryWrite(line))
        {
            Interlocked.Increment(ref _overflow);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            return;
        }

        var batcher = new FunctionLogBatcher();
        var buffer = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                await PublishAsync(batcher, buffer, stoppingToken);
                await Task.Delay(_options.FlushInterval, _time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // Stopping: what is queued still goes out, bounded by how long publishing may take.
        using var last = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await PublishAsync(batcher, buffer, last.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or NatsException)
        {
            Log.FunctionLogsLost(_logger, e.Message);
        }
    }

    private async Task PublishAsync(FunctionLogBatcher batcher, ArrayBufferWriter<byte> buffer, CancellationToken cancellationToken)
    {
        while (_queue.Reader.TryRead(out var line))
        {
            batcher.Add(line);
        }

        if (Interlocked.Exchange(ref _overflow, 0) is > 0 and var lost)
        {
            Log.FunctionLogsOverflow(_logger, lost, _options.QueueLength);
        }

        foreach (var (function, second, count) in _rate.TakeDropped(_time.GetUtcNow().ToUnixTimeSeconds()))
        {
            batcher.Dropped(function, second, count);
        }

        foreach (var (function, lines) in batcher.Take())
        {
            buffer.ResetWrittenCount();
            foreach (var entry in lines)
            {
                using (var writer = new Utf8JsonWriter(buffer))
                {
                    JsonSerializer.Serialize(writer, entry);
                }

                buffer.Write(NewLine);
            }

            try
            {
                // A copy: the client may still hold the payload after the await, and the buffer is reused.
                await _nats.PublishAsync(Subjects.ForLog(function), buffer.WrittenSpan.ToArray(), cancellationToken: cancellationToken);
            }
            catch (NatsException e)
            {
                // NATS away: these entries are lost, the invocations they describe are not.
                Log.FunctionLogsLost(_logger, e.Message);
            }
        }
    }
}
