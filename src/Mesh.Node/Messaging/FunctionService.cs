using System.Threading.Channels;
using Mesh.Contracts.Wire;
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
    InvocationPipeline pipeline,
    NodeStats stats,
    IOptions<NodeOptions> options,
    ILogger<FunctionService> logger) : BackgroundService
{
    public const string ServiceName = "mesh-node";
    public const string EndpointName = "functions";

    private readonly ExecutionOptions _execution = options.Value.Execution;
    private readonly Channel<NatsSvcMsg<NatsMemoryOwner<byte>>> _queue = Channel.CreateBounded<NatsSvcMsg<NatsMemoryOwner<byte>>>(
        new BoundedChannelOptions(Math.Max(1, options.Value.Execution.QueueLength)) { SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task[] _workers = [];
    private INatsSvcServer? _server;
    private int _waiting;
    private volatile bool _draining;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _workers = [.. Enumerable.Range(0, _execution.Concurrency).Select(_ => Task.Run(WorkAsync, CancellationToken.None))];
        await nats.ConnectAsync();
        var service = new NatsSvcContext(nats);
        _server = await service.AddServiceAsync(
            new NatsSvcConfig(ServiceName, "0.1.0")
            {
                Description = "Mesh node: runs WebAssembly functions with exactly the authority of each message's token",
                StatsHandler = _ => stats.ToJson(),
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

        // The endpoint's loop is the only writer: it never waits, it admits or refuses. A message
        // waits here at most until one of the workers, each running one invocation, is free.
        var allBusy = stats.InFlight >= _execution.Concurrency;
        if ((Volatile.Read(ref _waiting) < _execution.QueueLength || !allBusy) && _queue.Writer.TryWrite(msg))
        {
            Interlocked.Increment(ref _waiting);
            return;
        }

        msg.Data.Dispose();
        stats.Overloaded();
        Log.Overloaded(logger, msg.Subject, Volatile.Read(ref _waiting));
        await ReplyErrorAsync(msg, new MeshError(ErrorCode.NodeOverloaded, "every worker and queue place on this node is taken; retry"));
    }

    private async Task WorkAsync()
    {
        await foreach (var msg in _queue.Reader.ReadAllAsync())
        {
            Interlocked.Decrement(ref _waiting);
            await ProcessAsync(msg);
        }
    }

    private async Task ProcessAsync(NatsSvcMsg<NatsMemoryOwner<byte>> msg)
    {
        using var data = msg.Data;
        try
        {
            using var outcome = await pipeline.RunAsync(msg.Subject, Header(msg, MeshHeaders.Token), Header(msg, MeshHeaders.Module), data.Memory, _stopping.Token);
            if (msg.ReplyTo is null)
            {
                return;
            }

            if (outcome.IsOk)
            {
                var headers = new NatsHeaders { [MeshHeaders.Status] = "ok" };
                if (outcome.Denied is { } denied)
                {
                    headers[MeshHeaders.Denied] = denied;
                }

                await msg.ReplyAsync(outcome.Output, headers, cancellationToken: _stopping.Token);
            }
            else
            {
                await ReplyErrorAsync(msg, outcome.Error);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.Internal(logger, e, msg.Subject);
            await ReplyErrorAsync(msg, new MeshError(ErrorCode.NodeInternal, "the node failed to handle this call"));
        }
    }

    private static string? Header(NatsSvcMsg<NatsMemoryOwner<byte>> msg, string name) =>
        msg.Headers is { } headers && headers.TryGetValue(name, out var value) ? value.ToString() : null;

    private static async ValueTask ReplyErrorAsync(NatsSvcMsg<NatsMemoryOwner<byte>> msg, MeshError error)
    {
        if (msg.ReplyTo is null)
        {
            return;
        }

        // Header values cannot hold line breaks.
        var message = error.Message.ReplaceLineEndings(" ");
        var headers = new NatsHeaders
        {
            [MeshHeaders.Status] = error.Code.ToWire(),
            [MeshHeaders.Message] = message,
        };
        try
        {
            await msg.ReplyErrorAsync((int)error.Code, message, headers: headers);
        }
        catch (NatsException)
        {
            // The caller is gone or the connection dropped: nobody is left to tell.
        }
    }
}
