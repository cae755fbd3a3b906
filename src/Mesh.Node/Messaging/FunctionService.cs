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
/// nodes spread the load, and <c>$SRV.PING/INFO/STATS</c> find them. The endpoint only admits:
/// at most <c>Concurrency</c> invocations run and <c>QueueLength</c> wait; past that a caller is
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
    private readonly SemaphoreSlim _slots = new(options.Value.Execution.Concurrency);
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private INatsSvcServer? _server;
    private int _admitted;
    private volatile bool _draining;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
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
        _ready.TrySetResult();
        Log.Serving(logger, _execution.QueueGroup, nats.Opts.Url, _execution.Concurrency, _execution.QueueLength, options.Value.Tokens.TrustedRoots.Count);
    }

    /// <summary>Completes once the node is subscribed and registered: calls from then on are served.</summary>
    public Task Ready => _ready.Task;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        Log.Draining(logger, _execution.DrainTimeout, Volatile.Read(ref _admitted));
        if (_server is not null)
        {
            await _server.StopAsync(cancellationToken);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_execution.DrainTimeout);
        try
        {
            while (Volatile.Read(ref _admitted) > 0)
            {
                await Task.Delay(20, timeout.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Out of time: what is still running is abandoned when the process exits.
        }

        Log.Drained(logger, Volatile.Read(ref _admitted));
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _slots.Dispose();
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

        var admitted = Interlocked.Increment(ref _admitted);
        if (admitted > _execution.Concurrency + _execution.QueueLength)
        {
            Interlocked.Decrement(ref _admitted);
            msg.Data.Dispose();
            stats.Overloaded();
            Log.Overloaded(logger, msg.Subject, admitted);
            await ReplyErrorAsync(msg, new MeshError(ErrorCode.NodeOverloaded, "every slot and queue place on this node is taken; retry"));
            return;
        }

        // Off the endpoint's loop, so one slow function never holds up the next message.
        _ = Task.Run(() => ProcessAsync(msg));
    }

    private async Task ProcessAsync(NatsSvcMsg<NatsMemoryOwner<byte>> msg)
    {
        using var data = msg.Data;
        await _slots.WaitAsync();
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
        finally
        {
            _slots.Release();
            Interlocked.Decrement(ref _admitted);
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

        var headers = new NatsHeaders
        {
            [MeshHeaders.Status] = error.Code.ToWire(),
            [MeshHeaders.Message] = error.Message.ReplaceLineEndings(" "),
        };
        try
        {
            await msg.ReplyErrorAsync((int)error.Code, error.Message.ReplaceLineEndings(" "), headers: headers);
        }
        catch (NatsException)
        {
            // The caller is gone or the connection dropped: nobody is left to tell.
        }
    }
}
