using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Chaining;
using Mesh.Node.Telemetry;
using Mesh.Node.Tokens;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace Mesh.Node.Messaging;

/// <summary>
/// Where messages enter. Every node subscribes to <c>mesh.fn.&gt;</c> in one queue group, so any
/// node can take any call and more nodes spread the load. The endpoint only admits: it refuses at
/// once, without queueing, what needs no sandbox to refuse (a reply subject outside the inbox
/// prefix, which is not even answered; a token this node refused a moment ago; a token that is
/// not a token), gives tokens it has not verified yet only a few queue places, and puts the rest
/// in a bounded queue that <c>Concurrency</c> workers drain. When the queue is full a caller is
/// told <c>node.overloaded</c> at once instead of timing out. A step whose output fans out
/// gathers its branches without holding a worker. On stop it drains.
/// </summary>
public sealed class FunctionService(
    INatsConnection nats,
    Revocation.RevocationList revocations,
    InvocationPipeline pipeline,
    NextSteps nextSteps,
    VerifiedTokenCache tokens,
    ReplySubjects replies,
    PayloadLimit payload,
    NodeDrain drain,
    NodeTelemetry telemetry,
    NodeStats stats,
    IOptions<NodeOptions> options,
    ILogger<FunctionService> logger) : BackgroundService, IHostedLifecycleService
{
    private readonly ExecutionOptions _execution = options.Value.Execution;
    private readonly Channel<Admitted> _queue = Channel.CreateBounded<Admitted>(
        new BoundedChannelOptions(Math.Max(1, options.Value.Execution.QueueLength)) { FullMode = BoundedChannelFullMode.Wait });
    private readonly PendingVerifications<NatsMsg<NatsMemoryOwner<byte>>> _unverified = new(options.Value.Execution.MaxUnverified, Math.Max(1, options.Value.Execution.QueueLength));
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, int> _perFunction = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _handOns = new();
    private Task[] _workers = [];
    private Task? _receiving;
    private INatsSub<NatsMemoryOwner<byte>>? _subscription;
    private int _waiting;
    private volatile bool _draining;

    /// <summary>Completes once the node is subscribed: calls from then on are served.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Serving and current on revocations; false while draining or failing closed.</summary>
    public bool IsReady => _ready.Task.IsCompleted && !_draining && revocations.IsCurrent;

    public string QueueGroup => _execution.QueueGroup;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        ReserveThreads();
        _workers = [.. Enumerable.Range(0, _execution.Concurrency).Select(_ => Task.Run(WorkAsync, CancellationToken.None))];
        // Bounded by stopping: a node that never reaches NATS still stops at once on SIGTERM.
        await nats.ConnectAsync().AsTask().WaitAsync(stoppingToken);

        // A node that has not read the revocations yet would accept a revoked token: wait.
        await revocations.Synced.WaitAsync(stoppingToken);
        if (_draining)
        {
            return;
        }

        _subscription = await nats.SubscribeCoreAsync<NatsMemoryOwner<byte>>(Subjects.FunctionPrefix + ">", _execution.QueueGroup, cancellationToken: stoppingToken);

        // A round trip after subscribing: once the server answers, it has the subscription, so a
        // call made the moment we say "ready" reaches us instead of finding no responders.
        await nats.PingAsync(stoppingToken);
        _receiving = ReceiveAsync(_subscription);
        _ready.TrySetResult();
        Log.Serving(logger, _execution.QueueGroup, nats.Opts.Url, _execution.Concurrency, _execution.QueueLength, options.Value.Tokens.TrustedRoots.Count);
    }

    // Host calls are synchronous in Wasmtime's .NET API, so every sandbox that waits on a host call
    // holds a thread-pool thread, and the timers that end those waits at their deadline fire on
    // pool threads too. Without threads kept for that, a node whose sandboxes all wait sees its
    // deadlines fire late, only as the pool grows (a thread or two a second). Only ever raised.
    private void ReserveThreads()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        var needed = _execution.Concurrency + options.Value.Jobs.Concurrency + (2 * Environment.ProcessorCount);
        if (workers < needed)
        {
            ThreadPool.SetMinThreads(needed, io);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The moment the node is told to stop, before any service stops (jobs stop being taken at the
    /// same moment): take no more calls. The drain timeout runs from here, for calls and jobs alike.
    /// </summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (_draining)
        {
            return;
        }

        _draining = true;
        drain.Begin();
        Log.Draining(logger, _execution.DrainTimeout, Volatile.Read(ref _waiting) + stats.InFlight);
        if (_subscription is not null)
        {
            // Leave the queue group: the server sends new calls to the other nodes.
            await _subscription.UnsubscribeAsync();
            await (_receiving ?? Task.CompletedTask);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await StoppingAsync(cancellationToken);
        var left = drain.Left;
        // Workers finish what was admitted, then chains hand their outputs on; past the timeout
        // what still runs is stopped (see Invoker) and its caller told.
        _queue.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_workers).WaitAsync(left, cancellationToken);
            await Task.WhenAll(_handOns.Keys).WaitAsync(left, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // Out of time: what is still running is stopped below.
        }

        // Host calls that wait end (they wait on the drain's end), guests that run trap at their next
        // epoch check, and their callers are told node.stopped; nothing is left running.
        await drain.EndAsync();
        await Task.WhenAll(_workers).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
        Log.Drained(logger, Volatile.Read(ref _waiting) + stats.InFlight);
        await base.StopAsync(cancellationToken);
    }

    private async Task ReceiveAsync(INatsSub<NatsMemoryOwner<byte>> subscription)
    {
        await foreach (var msg in subscription.Msgs.ReadAllAsync())
        {
            try
            {
                await AdmitAsync(msg);
            }
            catch (Exception e)
            {
                // Whatever went wrong with one message, the next is served. Its pooled data is not
                // disposed here: every path disposes it once itself, and twice would hand one
                // buffer to two messages.
                Log.Internal(logger, e, msg.Subject);
            }
        }
    }

    // The endpoint's loop: it never waits for a worker, it admits, parks or refuses.
    private async ValueTask AdmitAsync(NatsMsg<NatsMemoryOwner<byte>> msg)
    {
        stats.Received();

        // First, before anything else: a reply subject the node may not answer means the message
        // is not run and nothing is sent (an answer there would be written with the node's rights).
        if (!replies.IsAllowed(msg.ReplyTo))
        {
            msg.Data.Dispose();
            stats.ReplyRefused();
            Log.ReplyRefused(logger, msg.Subject, msg.ReplyTo!);
            return;
        }

        if (_draining)
        {
            msg.Data.Dispose();
            await ReplyErrorAsync(msg, new MeshError(ErrorCode.NodeDraining, "this node is shutting down; retry"));
            return;
        }

        // Refusals that need no sandbox are answered here, at the cost of a lookup.
        // (Logged at debug only: a flood of them must not become a flood of log lines.)
        if (!Subjects.IsFunction(msg.Subject))
        {
            await RefuseAtOnceAsync(msg, new MeshError(ErrorCode.RequestMalformed, $"'{msg.Subject}' is not a function subject (mesh.fn.<name>)"));
            return;
        }

        var token = TokenLook.Of(Header(msg, MeshHeaders.Token), tokens);
        if (token.Refusal is { } refusal)
        {
            await RefuseAtOnceAsync(msg, refusal);
            return;
        }

        // A token never verified here costs a verification, and only its first call pays it.
        if (token.IsUnknown)
        {
            switch (_unverified.Arrive(token.Key, msg))
            {
                case PendingVerifications<NatsMsg<NatsMemoryOwner<byte>>>.Arrival.Parked:
                    return;
                case PendingVerifications<NatsMsg<NatsMemoryOwner<byte>>>.Arrival.Full:
                    await RefuseOverloadedAsync(msg, $"{_execution.MaxUnverified} tokens this node has not verified yet are already waiting; retry");
                    return;
            }
        }

        if (!await EnqueueAsync(msg, token) && token.IsUnknown)
        {
            await AnswerParkedAsync(token.Key, new MeshError(ErrorCode.NodeOverloaded, "every worker and queue place on this node is taken; retry"));
        }
    }

    // Into the queue, or refused as overloaded; from the endpoint and from a worker that has just
    // verified the token parked calls carry.
    private async ValueTask<bool> EnqueueAsync(NatsMsg<NatsMemoryOwner<byte>> msg, TokenLook token)
    {
        // One slow function must not take every worker: past its share, only its calls are refused.
        if (_execution.MaxPerFunction > 0 && _perFunction.GetValueOrDefault(msg.Subject) >= _execution.MaxPerFunction)
        {
            await RefuseOverloadedAsync(msg, $"{msg.Subject} already has {_execution.MaxPerFunction} calls on this node; retry");
            return false;
        }

        // A message waits here at most until one of the workers, each running one invocation, is free.
        var allBusy = stats.InFlight >= _execution.Concurrency;
        if ((Volatile.Read(ref _waiting) < _execution.QueueLength || !allBusy) && _queue.Writer.TryWrite(new Admitted(msg, token, Stopwatch.GetTimestamp())))
        {
            Interlocked.Increment(ref _waiting);
            if (_execution.MaxPerFunction > 0)
            {
                _perFunction.AddOrUpdate(msg.Subject, 1, (_, n) => n + 1);
            }

            return true;
        }

        await RefuseOverloadedAsync(msg, _draining ? "this node is shutting down; retry" : "every worker and queue place on this node is taken; retry");
        return false;
    }

    // The calls parked beside a token's verification, answered with its verdict: refused at once,
    // or admitted as calls with a verified token.
    private async ValueTask AnswerParkedAsync(Sha256Digest key, TokenLook verdict)
    {
        foreach (var parked in _unverified.Complete(key))
        {
            try
            {
                if (verdict.Refusal is { } refusal)
                {
                    await RefuseAtOnceAsync(parked, refusal);
                }
                else
                {
                    await EnqueueAsync(parked, verdict);
                }
            }
            catch (NatsException)
            {
                // That caller is gone; the others are still answered.
            }
        }
    }

    private ValueTask AnswerParkedAsync(Sha256Digest key, MeshError error) => AnswerParkedAsync(key, TokenLook.Refused(error));

    private async ValueTask RefuseAtOnceAsync(NatsMsg<NatsMemoryOwner<byte>> msg, MeshError error)
    {
        msg.Data.Dispose();
        stats.Refused(error.Code);
        Log.RefusedAtOnce(logger, msg.Subject, error.Code.ToWire(), error.Message);
        await ReplyErrorAsync(msg, error);
    }

    private async ValueTask RefuseOverloadedAsync(NatsMsg<NatsMemoryOwner<byte>> msg, string message)
    {
        msg.Data.Dispose();
        stats.Overloaded();
        Log.Overloaded(logger, msg.Subject, Volatile.Read(ref _waiting));
        await ReplyErrorAsync(msg, new MeshError(ErrorCode.NodeOverloaded, message));
    }

    private async Task WorkAsync()
    {
        await foreach (var admitted in _queue.Reader.ReadAllAsync())
        {
            Interlocked.Decrement(ref _waiting);
            try
            {
                var token = admitted.Token;
                if (token.IsUnknown)
                {
                    // The token's first call: verify it, then answer the calls parked beside it.
                    var verified = tokens.Verify(token.Bytes, token.Key);
                    var verdict = verified.IsOk ? TokenLook.Known(verified.Value) : TokenLook.Refused(verified.Error);
                    await AnswerParkedAsync(token.Key, verdict);
                    token = verdict;
                }

                await ProcessAsync(admitted.Msg, token, admitted.Arrived);
            }
            catch (Exception e)
            {
                // A worker outlives whatever one message did: the node keeps all its workers.
                Log.Internal(logger, e, admitted.Msg.Subject);
            }
            finally
            {
                if (_execution.MaxPerFunction > 0)
                {
                    Release(_perFunction, admitted.Msg.Subject);
                }
            }
        }
    }

    // One fewer for the key; the entry goes at zero (only if still zero), so any number of keys costs nothing.
    private static void Release<TKey>(ConcurrentDictionary<TKey, int> counts, TKey key)
        where TKey : notnull
    {
        var left = counts.AddOrUpdate(key, 0, (_, n) => n - 1);
        if (left <= 0)
        {
            counts.TryRemove(KeyValuePair.Create(key, left));
        }
    }

    // When the message arrived: a chain's budget counts the time it waited here.
    private readonly record struct Admitted(NatsMsg<NatsMemoryOwner<byte>> Msg, TokenLook Token, long Arrived);

    private async Task ProcessAsync(NatsMsg<NatsMemoryOwner<byte>> msg, TokenLook token, long arrived)
    {
        InvocationOutcome? outcome = null;
        Activity? activity = null;
        try
        {
            using (var data = msg.Data)
            {
                var position = ChainPosition.Read(msg.Headers, arrived);
                if (!position.IsOk)
                {
                    await ReplyErrorAsync(msg, position.Error);
                    return;
                }

                activity = telemetry.StartInvocation(msg.Subject, position.Value);
                outcome = await pipeline.RunAsync(msg.Subject, token, Header(msg, MeshHeaders.Module), data.Memory, position.Value, drain.Ended);
                NodeTelemetry.Complete(activity, outcome);
            }

            if (!outcome.IsOk)
            {
                await ReplyErrorAsync(msg, new ChainAnswer(outcome.Error, outcome.Function, outcome.Step, Denied: outcome.Denied));
                return;
            }

            if (outcome.Then.IsEmpty)
            {
                await ReplyAsync(msg, outcome.Output, ReplyHeaders.Ok(outcome.Function, outcome.Step, outcome.Denied, fanOut: null));
                return;
            }

            // Handing on may wait for a fan-out's branches, which may need this very worker: the
            // worker moves on, and the hand-on owns the outcome and the span from here.
            var handOn = HandOnAsync(msg, outcome, activity);
            (outcome, activity) = (null, null);
            _handOns.TryAdd(handOn, 0);
            _ = handOn.ContinueWith(t => _handOns.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        catch (OperationCanceledException) when (drain.Ended.IsCancellationRequested)
        {
            await ReplyErrorAsync(msg, new MeshError(ErrorCode.NodeDraining, "this node stopped before the call could run; retry"));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.Internal(logger, e, msg.Subject);
            await ReplyErrorAsync(msg, new MeshError(ErrorCode.NodeInternal, "the node failed to handle this call"));
        }
        finally
        {
            outcome?.Dispose();
            activity?.Dispose();
        }
    }

    private async Task HandOnAsync(NatsMsg<NatsMemoryOwner<byte>> msg, InvocationOutcome outcome, Activity? activity)
    {
        using var _ = outcome;
        using var __ = activity;
        try
        {
            if (await nextSteps.HandOnAsync(outcome, msg.ReplyTo, drain.Ended) is { } answer)
            {
                await (answer.IsOk ? ReplyAsync(msg, answer.Body, ReplyHeaders.Ok(answer.Function, answer.Step, outcome.Denied, answer.FanOut)) : ReplyErrorAsync(msg, answer));
            }
        }
        catch (OperationCanceledException) when (drain.Ended.IsCancellationRequested)
        {
            await ReplyErrorAsync(msg, new ChainAnswer(new MeshError(ErrorCode.NodeDraining, "this node stopped while the chain was handed on"), outcome.Function, outcome.Step));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.Internal(logger, e, msg.Subject);
            await ReplyErrorAsync(msg, new ChainAnswer(new MeshError(ErrorCode.NodeInternal, "the node failed to hand the output on"), outcome.Function, outcome.Step));
        }
    }

    private async ValueTask ReplyAsync(NatsMsg<NatsMemoryOwner<byte>> msg, ReadOnlyMemory<byte> body, NatsHeaders headers)
    {
        if (msg.ReplyTo is null || !replies.IsAllowed(msg.ReplyTo))
        {
            return;
        }

        if (body.Length > payload.MaxBody)
        {
            // Limits keep outputs under this; a server with a smaller max_payload after a reconnect may not.
            await ReplyErrorAsync(msg, new MeshError(ErrorCode.FunctionOutputTooLarge, $"the answer is {body.Length} bytes, more than one message may carry ({payload.MaxBody})"));
            return;
        }

        try
        {
            // Not cancelled by a stop: the function ran, its caller is owed the answer. A publish
            // while NATS is away fails after the command timeout.
            await nats.PublishAsync(msg.ReplyTo, body, headers, cancellationToken: CancellationToken.None);
        }
        catch (NatsException)
        {
            // The caller is gone or the connection dropped: nobody is left to tell.
        }
    }

    private static string? Header(NatsMsg<NatsMemoryOwner<byte>> msg, string name) =>
        msg.Headers is { } headers && headers.TryGetValue(name, out var value) ? value.ToString() : null;

    private ValueTask ReplyErrorAsync(NatsMsg<NatsMemoryOwner<byte>> msg, MeshError error) =>
        ReplyErrorAsync(msg, new ChainAnswer(error, Subjects.FunctionOf(msg.Subject) ?? msg.Subject, 1));

    private async ValueTask ReplyErrorAsync(NatsMsg<NatsMemoryOwner<byte>> msg, ChainAnswer answer)
    {
        if (msg.ReplyTo is null || !replies.IsAllowed(msg.ReplyTo))
        {
            if (answer.Step > 1)
            {
                Log.ChainStepLost(logger, answer.Step, answer.Function, answer.Error.Code.ToWire(), answer.Error.Message);
            }

            return;
        }

        try
        {
            await nats.PublishAsync(msg.ReplyTo, ReadOnlyMemory<byte>.Empty, ReplyHeaders.Error(answer), cancellationToken: CancellationToken.None);
        }
        catch (NatsException)
        {
            // The caller is gone or the connection dropped: nobody is left to tell.
        }
    }
}
