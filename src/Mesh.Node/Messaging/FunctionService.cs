using System.Collections.Concurrent;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Admission;
using Mesh.Node.Chaining;
using Mesh.Node.Invocations;
using Mesh.Node.Tokens;
using Verdict = Mesh.Node.Admission.CallAdmission<NATS.Client.Core.NatsMsg<NATS.Client.Core.NatsMemoryOwner<byte>>>.Verdict;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace Mesh.Node.Messaging;

/// <summary>
/// The NATS endpoint where calls enter. Every node subscribes to <c>mesh.fn.&gt;</c> in one queue
/// group, so any node can take any call and more nodes spread the load. The endpoint refuses at
/// once, without queueing, what needs no sandbox to refuse (a reply subject outside the inbox
/// prefix, which is not even answered; a token this node refused a moment ago; a token that is
/// not a token) and hands the rest to <see cref="CallAdmission{TCall}"/>, whose bounded queue
/// <c>Concurrency</c> workers drain through the <see cref="InvocationRunner"/> that jobs use too.
/// When admission refuses, a caller is told <c>node.overloaded</c> at once instead of timing out.
/// A step whose output fans out gathers its branches without holding a worker. On stop it drains.
/// </summary>
public sealed class FunctionService(
    INatsConnection nats,
    Revocation.RevocationList revocations,
    InvocationRunner runner,
    VerifiedTokenCache tokens,
    ReplySubjects replies,
    PayloadLimit payload,
    NodeDrain drain,
    NodeStats stats,
    IOptions<NodeOptions> options,
    ILogger<FunctionService> logger) : BackgroundService, IHostedLifecycleService
{
    private readonly ExecutionOptions _execution = options.Value.Execution;
    private readonly CallAdmission<NatsMsg<NatsMemoryOwner<byte>>> _admission = new(options.Value.Execution, () => stats.InFlight);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<Task, byte> _handOns = new();
    private Task[] _workers = [];
    private Task? _receiving;
    private INatsSub<NatsMemoryOwner<byte>>? _subscription;
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

    // Host calls are synchronous (the node runs Wasmtime without its async support), so every sandbox that waits on a host call
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
        Log.Draining(logger, _execution.DrainTimeout, _admission.Waiting + stats.InFlight);
        if (_subscription is not null)
        {
            // Leave the queue group as NATS clients drain: unsubscribe, then go on taking what the
            // server routed here before it processed the unsubscribe, until a round trip says
            // nothing more comes. A plain unsubscribe dropped those calls unanswered. What arrives
            // meanwhile is served like any call: no other node will get it.
            var left = drain.Left;
            using var bounded = new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.Zero);
            try
            {
                await _subscription.DrainAsync(bounded.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or NatsException)
            {
                // Past the drain timeout, or NATS away: what was not taken by now is not coming.
                await _subscription.UnsubscribeAsync();
            }

            await (_receiving ?? Task.CompletedTask);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await StoppingAsync(cancellationToken);
        var left = drain.Left;
        // Workers finish what was admitted, then chains hand their outputs on; past the timeout
        // what still runs is stopped (see Invoker) and its caller told.
        _admission.Complete();
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
        Log.Drained(logger, _admission.Waiting + stats.InFlight);
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

        // A token verified before that binds its replies elsewhere gets no answer of any kind, not
        // even that this node is draining or full (the pipeline holds the same for the others).
        var token = TokenLook.Of(Header(msg, MeshHeaders.Token), tokens);
        if (token.Verified is { } known && !replies.IsAllowedFor(known, msg.ReplyTo))
        {
            msg.Data.Dispose();
            stats.ReplyRefused();
            stats.Refused(ErrorCode.TokenWrongReply);
            Log.RefusedAtOnce(logger, msg.Subject, ErrorCode.TokenWrongReply.ToWire(), $"token {known.TokenId} binds replies to '{known.ReplyPrefix}': not answered");
            return;
        }

        // Refusals that need no sandbox are answered here, at the cost of a lookup.
        // (Logged at debug only: a flood of them must not become a flood of log lines.)
        if (!Subjects.IsFunction(msg.Subject))
        {
            await RefuseAtOnceAsync(msg, new MeshError(ErrorCode.RequestMalformed, $"'{msg.Subject}' is not a function subject (mesh.fn.<name>)"));
            return;
        }

        if (token.Refusal is { } refusal)
        {
            await RefuseAtOnceAsync(msg, refusal);
            return;
        }

        // A token never verified here costs a verification, and only its first call pays it.
        var verdict = _admission.Arrive(msg.Subject, msg, token);
        await RefuseUnlessAdmittedAsync(msg, verdict);
        if (verdict is Verdict.Full or Verdict.FunctionFull && token.IsUnknown)
        {
            // The token's first call was refused, so nobody will verify it: neither are the calls parked beside it.
            await AnswerParkedAsync(token.Key, new MeshError(ErrorCode.NodeOverloaded, "every worker and queue place on this node is taken; retry"));
        }
    }

    private ValueTask RefuseUnlessAdmittedAsync(NatsMsg<NatsMemoryOwner<byte>> msg, Verdict verdict) => verdict switch
    {
        Verdict.Queued or Verdict.Parked => ValueTask.CompletedTask,
        Verdict.UnverifiedFull => RefuseOverloadedAsync(msg, $"{_execution.MaxUnverified} tokens this node has not verified yet are already waiting; retry"),
        Verdict.FunctionFull => RefuseOverloadedAsync(msg, $"{msg.Subject} already has {_execution.MaxPerFunction} calls on this node; retry"),
        _ => RefuseOverloadedAsync(msg, _draining ? "this node is shutting down; retry" : "every worker and queue place on this node is taken; retry"),
    };

    // The calls parked beside a token's verification, answered with its verdict: refused at once,
    // or admitted as calls with a verified token.
    private async ValueTask AnswerParkedAsync(Sha256Digest key, TokenLook verdict)
    {
        foreach (var (subject, parked) in _admission.CompleteParked(key))
        {
            try
            {
                if (verdict.Refusal is { } refusal)
                {
                    await RefuseAtOnceAsync(parked, refusal);
                }
                else
                {
                    await RefuseUnlessAdmittedAsync(parked, _admission.Enqueue(subject, parked, verdict));
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
        Log.Overloaded(logger, msg.Subject, _admission.Waiting);
        await ReplyErrorAsync(msg, new MeshError(ErrorCode.NodeOverloaded, message));
    }

    private async Task WorkAsync()
    {
        await foreach (var admitted in _admission.TakeAllAsync())
        {
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

                await ProcessAsync(admitted.Call, token, admitted.Arrived);
            }
            catch (Exception e)
            {
                // A worker outlives whatever one message did: the node keeps all its workers.
                Log.Internal(logger, e, admitted.Subject);
            }
            finally
            {
                _admission.Done(admitted.Subject);
            }
        }
    }

    private async Task ProcessAsync(NatsMsg<NatsMemoryOwner<byte>> msg, TokenLook token, long arrived)
    {
        Invocation? invocation = null;
        try
        {
            if (!TryStartNotice(msg, arrived, out var start))
            {
                msg.Data.Dispose();
                await ReplyErrorAsync(msg, new MeshError(ErrorCode.RequestMalformed, $"{MeshHeaders.StartWithin} must be milliseconds from 1 to {StartNotice.MaxWithin.TotalMilliseconds:0}"));
                return;
            }

            using (var data = msg.Data)
            {
                invocation = await runner.RunAsync(msg.Subject, msg.Headers, token, data.Memory, arrived, msg.ReplyTo, start);
            }

            if (!invocation.IsOk)
            {
                await ReplyErrorAsync(msg, invocation.Failure);
                return;
            }

            var outcome = invocation.Outcome!;
            if (!invocation.HandsOn)
            {
                await ReplyAsync(msg, outcome.Output, ReplyHeaders.Ok(outcome.Function, outcome.Step, outcome.Denied, fanOut: null, outcome.Context?.HttpResponse));
                return;
            }

            // Handing on may wait for a fan-out's branches, which may need this very worker: the
            // worker moves on, and the hand-on owns the invocation from here.
            var handOn = HandOnAsync(msg, invocation);
            invocation = null;
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
            invocation?.Dispose();
        }
    }

    private async Task HandOnAsync(NatsMsg<NatsMemoryOwner<byte>> msg, Invocation invocation)
    {
        using var _ = invocation;
        var outcome = invocation.Outcome!;
        try
        {
            if (await runner.HandOnAsync(invocation, msg.ReplyTo) is { } answer)
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

    private static string? Header(NatsMsg<NatsMemoryOwner<byte>> msg, string name) => InvocationRunner.Header(msg.Headers, name);

    // A caller asking to hear when its call starts: the notice tells it on the reply subject. None
    // asked (the common case) costs a header lookup and nothing else; false when the header is not a number.
    private bool TryStartNotice(NatsMsg<NatsMemoryOwner<byte>> msg, long arrived, out StartNotice? start)
    {
        start = null;
        if (Header(msg, MeshHeaders.StartWithin) is not { } text)
        {
            return true;
        }

        if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms) || ms < 1 || ms > StartNotice.MaxWithin.TotalMilliseconds)
        {
            return false;
        }

        var replyTo = msg.ReplyTo;
        start = new StartNotice(arrived, TimeSpan.FromMilliseconds(ms), async cancellationToken =>
        {
            if (replyTo is not null && replies.IsAllowed(replyTo))
            {
                try
                {
                    await nats.PublishAsync(replyTo, ReadOnlyMemory<byte>.Empty, new NatsHeaders { [MeshHeaders.Status] = MeshHeaders.Started }, cancellationToken: cancellationToken);
                }
                catch (NatsException)
                {
                    // The caller is gone: the call runs all the same, as any call whose caller left.
                }
            }
        });
        return true;
    }

    private ValueTask ReplyErrorAsync(NatsMsg<NatsMemoryOwner<byte>> msg, MeshError error) =>
        ReplyErrorAsync(msg, new ChainAnswer(error, Subjects.FunctionOf(msg.Subject) ?? msg.Subject, 1));

    private async ValueTask ReplyErrorAsync(NatsMsg<NatsMemoryOwner<byte>> msg, ChainAnswer answer)
    {
        if (answer.Error.Code == ErrorCode.TokenWrongReply)
        {
            // The token forbids answering there: the refusal is counted and logged (with the
            // invocation's outcome), never sent.
            stats.ReplyRefused();
            return;
        }

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
