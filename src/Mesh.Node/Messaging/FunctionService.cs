using System.Diagnostics;
using System.Threading.Channels;
using Mesh.Contracts.Wire;
using Mesh.Node.Chaining;
using Mesh.Node.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.Services;

namespace Mesh.Node.Messaging;

/// <summary>
/// Where messages enter. The node registers as the NATS micro service <c>mesh-node</c> with one
/// endpoint on <c>mesh.fn.&gt;</c> in a shared queue group, so any node can take any call, more
/// nodes spread the load, and <c>$SRV.PING/INFO/STATS</c> find them. The endpoint only admits,
/// into a bounded queue that <c>Concurrency</c> workers drain; when the queue is full a caller is
/// told <c>node.overloaded</c> at once instead of timing out. On stop it drains.
/// </summary>
public sealed class FunctionService(
    INatsConnection nats,
    Revocation.RevocationList revocations,
    InvocationPipeline pipeline,
    NextSteps nextSteps,
    NodeTelemetry telemetry,
    NodeStats stats,
    IOptions<NodeOptions> options,
    ILogger<FunctionService> logger) : BackgroundService
{
    public const string ServiceName = "mesh-node";
    public const string EndpointName = "functions";

    private readonly ExecutionOptions _execution = options.Value.Execution;
    private readonly Channel<Admitted> _queue = Channel.CreateBounded<Admitted>(
        new BoundedChannelOptions(Math.Max(1, options.Value.Execution.QueueLength)) { SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task[] _workers = [];
    private INatsSvcServer? _server;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _perFunction = new(StringComparer.Ordinal);
    private int _waiting;
    private volatile bool _draining;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _workers = [.. Enumerable.Range(0, _execution.Concurrency).Select(_ => Task.Run(WorkAsync, CancellationToken.None))];
        await nats.ConnectAsync();

        // A node that has not read the revocations yet would accept a revoked token: wait.
        await revocations.Synced.WaitAsync(stoppingToken);
        var service = new NatsSvcContext(nats);
        _server = await service.AddServiceAsync(
            new NatsSvcConfig(ServiceName, "0.1.0")
            {
                Description = "Mesh node: runs WebAssembly functions with exactly the authority of each message's token",
                // "ready": serving and current on revocations; false while it fails closed.
                StatsHandler = _ =>
                {
                    var json = stats.ToJson();
                    json["ready"] = !_draining && revocations.IsCurrent;
                    return json;
                },
            },
            stoppingToken);
        await _server.AddEndpointAsync<NatsMemoryOwner<byte>>(
            HandleAsync,
            name: EndpointName,
            subject: Subjects.FunctionPrefix + ">",
            queueGroup: _execution.QueueGroup,
            cancellationToken: stoppingToken);

        // A round trip after subscribing: once the server answers, it has the subscription, so a
        // call made the moment we say "ready" reaches us instead of finding no responders.
        await nats.PingAsync(stoppingToken);
        _ready.TrySetResult();
        Log.Serving(logger, _execution.QueueGroup, nats.Opts.Url, _execution.Concurrency, _execution.QueueLength, options.Value.Tokens.TrustedRoots.Count);
    }

    /// <summary>Completes once the node is subscribed and registered: calls from then on are served.</summary>
    public Task Ready => _ready.Task;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        Log.Draining(logger, _execution.DrainTimeout, Volatile.Read(ref _waiting) + stats.InFlight);
        if (_server is not null)
        {
            await _server.StopAsync(cancellationToken);
        }

        // Workers finish what was admitted, then stop; past the timeout the rest is abandoned.
        _queue.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_workers).WaitAsync(_execution.DrainTimeout, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // Out of time: what is still running is cancelled below and abandoned at exit.
        }

        Log.Drained(logger, Volatile.Read(ref _waiting) + stats.InFlight);
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _stopping.Dispose();
        base.Dispose();
    }

    private async ValueTask HandleAsync(NatsSvcMsg<NatsMemoryOwner<byte>> msg)
    {
        if (_draining)
        {
            msg.Data.Dispose();
            await ReplyErrorAsync(msg, new MeshError(ErrorCode.NodeDraining, "this node is shutting down; retry"));
            return;
        }

        // One slow function must not take every worker: past its share, only its calls are refused.
        if (_execution.MaxPerFunction > 0 && _perFunction.GetValueOrDefault(msg.Subject) >= _execution.MaxPerFunction)
        {
            msg.Data.Dispose();
            stats.Overloaded();
            await ReplyErrorAsync(msg, new MeshError(ErrorCode.NodeOverloaded, $"{msg.Subject} already has {_execution.MaxPerFunction} calls on this node; retry"));
            return;
        }

        // The endpoint's loop is the only writer: it never waits, it admits or refuses. A message
        // waits here at most until one of the workers, each running one invocation, is free.
        var allBusy = stats.InFlight >= _execution.Concurrency;
        if ((Volatile.Read(ref _waiting) < _execution.QueueLength || !allBusy) && _queue.Writer.TryWrite(new Admitted(msg, Stopwatch.GetTimestamp())))
        {
            Interlocked.Increment(ref _waiting);
            if (_execution.MaxPerFunction > 0)
            {
                _perFunction.AddOrUpdate(msg.Subject, 1, (_, n) => n + 1);
            }

            return;
        }

        msg.Data.Dispose();
        stats.Overloaded();
        Log.Overloaded(logger, msg.Subject, Volatile.Read(ref _waiting));
        await ReplyErrorAsync(msg, new MeshError(ErrorCode.NodeOverloaded, "every worker and queue place on this node is taken; retry"));
    }

    private async Task WorkAsync()
    {
        await foreach (var admitted in _queue.Reader.ReadAllAsync())
        {
            Interlocked.Decrement(ref _waiting);
            var subject = admitted.Msg.Subject;
            await ProcessAsync(admitted.Msg, admitted.Arrived);
            if (_execution.MaxPerFunction > 0)
            {
                // Drop the entry at zero (only if still zero), so any number of subjects costs nothing.
                var left = _perFunction.AddOrUpdate(subject, 0, (_, n) => n - 1);
                if (left <= 0)
                {
                    _perFunction.TryRemove(KeyValuePair.Create(subject, left));
                }
            }
        }
    }

    // When the message arrived: a chain's budget counts the time it waited here.
    private readonly record struct Admitted(NatsSvcMsg<NatsMemoryOwner<byte>> Msg, long Arrived);

    private async Task ProcessAsync(NatsSvcMsg<NatsMemoryOwner<byte>> msg, long arrived)
    {
        using var data = msg.Data;
        try
        {
            var position = ChainPosition.Read(msg.Headers, arrived);
            if (!position.IsOk)
            {
                await ReplyErrorAsync(msg, position.Error);
                return;
            }

            using var activity = telemetry.StartInvocation(msg.Subject, position.Value);
            using var outcome = await pipeline.RunAsync(msg.Subject, Header(msg, MeshHeaders.Token), Header(msg, MeshHeaders.Module), data.Memory, position.Value, _stopping.Token);
            NodeTelemetry.Complete(activity, outcome);
            if (!outcome.IsOk)
            {
                await ReplyErrorAsync(msg, new ChainAnswer(outcome.Error, outcome.Function, outcome.Step, Denied: outcome.Denied));
                return;
            }

            if (!outcome.Then.IsEmpty)
            {
                if (await nextSteps.HandOnAsync(outcome, msg.ReplyTo, _stopping.Token) is { } answer)
                {
                    await (answer.IsOk ? ReplyAsync(msg, answer.Body, ReplyHeaders.Ok(answer.Function, answer.Step, outcome.Denied, answer.FanOut)) : ReplyErrorAsync(msg, answer));
                }

                return;
            }

            await ReplyAsync(msg, outcome.Output, ReplyHeaders.Ok(outcome.Function, outcome.Step, outcome.Denied, fanOut: null));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.Internal(logger, e, msg.Subject);
            await ReplyErrorAsync(msg, new MeshError(ErrorCode.NodeInternal, "the node failed to handle this call"));
        }
    }

    private async ValueTask ReplyAsync(NatsSvcMsg<NatsMemoryOwner<byte>> msg, ReadOnlyMemory<byte> body, NatsHeaders headers)
    {
        if (msg.ReplyTo is not null)
        {
            await msg.ReplyAsync(body, headers, cancellationToken: _stopping.Token);
        }
    }

    private static string? Header(NatsSvcMsg<NatsMemoryOwner<byte>> msg, string name) =>
        msg.Headers is { } headers && headers.TryGetValue(name, out var value) ? value.ToString() : null;

    private ValueTask ReplyErrorAsync(NatsSvcMsg<NatsMemoryOwner<byte>> msg, MeshError error) =>
        ReplyErrorAsync(msg, new ChainAnswer(error, Subjects.FunctionOf(msg.Subject) ?? msg.Subject, 1));

    private async ValueTask ReplyErrorAsync(NatsSvcMsg<NatsMemoryOwner<byte>> msg, ChainAnswer answer)
    {
        var message = ReplyHeaders.Message(answer.Error);
        if (msg.ReplyTo is null)
        {
            if (answer.Step > 1)
            {
                Log.ChainStepLost(logger, answer.Step, answer.Function, answer.Error.Code.ToWire(), message);
            }

            return;
        }

        try
        {
            await msg.ReplyErrorAsync((int)answer.Error.Code, message, headers: ReplyHeaders.Error(answer, message));
        }
        catch (NatsException)
        {
            // The caller is gone or the connection dropped: nobody is left to tell.
        }
    }
}
