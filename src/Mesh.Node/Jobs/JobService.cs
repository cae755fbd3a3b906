using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Mesh.Contracts.Wire;
using Mesh.Node.Invocations;
using Mesh.Node.Messaging;
using Mesh.Node.Revocation;
using Mesh.Node.Tokens;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Mesh.Node.Jobs;

/// <summary>
/// Durable triggers: jobs from the <c>MESH_JOBS</c> stream and schedule ticks from <c>MESH_TICKS</c>,
/// run by the same <see cref="InvocationRunner"/> as calls,
/// acknowledged only after the invocation. A job that failed for a reason that may pass (the
/// function failed or ran out of time, a node-side problem) is delivered again after a backoff;
/// one that cannot succeed (token, request, module or capability errors) is terminated at once.
/// Either way, a job that will not run again is published to <c>mesh.dead.NAME</c> with its code,
/// so nothing is lost silently; the dead letter names the token by id and does not carry it.
/// A node takes a job only when it has a free slot to run it. On SIGTERM it takes no more; jobs it
/// runs finish within the drain timeout, and one that would not is stopped and handed back (NAK)
/// for another node at once. A node that dies holding a job leaves it unacknowledged, and another
/// node gets it after the ack wait.
/// </summary>
public sealed class JobService(
    INatsConnection nats,
    RevocationList revocations,
    InvocationRunner runner,
    VerifiedTokenCache tokens,
    NodeDrain drain,
    IOptions<NodeOptions> options,
    ILogger<JobService> logger) : BackgroundService, IHostedLifecycleService
{
    private static readonly ErrorCode[] Permanent =
    [
        ErrorCode.TokenMissing, ErrorCode.TokenMalformed, ErrorCode.TokenTooLarge, ErrorCode.TokenVersion, ErrorCode.TokenSignature,
        ErrorCode.TokenUntrustedIssuer, ErrorCode.TokenExpired, ErrorCode.TokenWrongSubject, ErrorCode.TokenWrongModule,
        ErrorCode.TokenDepth, ErrorCode.TokenWidened, ErrorCode.TokenSealed, ErrorCode.TokenRevoked, ErrorCode.TokenWrongReply,
        ErrorCode.RequestTooLarge, ErrorCode.RequestMalformed, ErrorCode.ModuleDigestMismatch, ErrorCode.ModuleInvalid,
        ErrorCode.CapabilityDenied, ErrorCode.ChainLoop, ErrorCode.ChainInvocationLimit,
    ];

    // How long one pull for a job waits on the server. A pull is never cancelled (a job delivered
    // to a cancelled pull would sit unacknowledged for the whole ack wait), so this bounds how long
    // a stopping node keeps its last pull open.
    private static readonly TimeSpan PullWait = TimeSpan.FromSeconds(1);

    private readonly JobOptions _options = options.Value.Jobs;
    private readonly TimeSpan _wallTime = TimeSpan.FromMilliseconds(options.Value.Ceilings.WallTimeMs);
    private readonly CancellationTokenSource _taking = new();
    private readonly ConcurrentDictionary<Task, byte> _running = new();

    // Outlives the taking loop: jobs still running after it ends release their slot into it.
    private readonly SemaphoreSlim _slots = new(Math.Max(1, options.Value.Jobs.Concurrency));

    // Deliveries after which a failing job is dead: the smaller of this node's setting and the
    // consumer's own limit, past which the server would stop delivering without a dead letter.
    private int _maxDeliveries = options.Value.Jobs.MaxDeliveries;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            return;
        }

        using var taking = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _taking.Token);
        try
        {
            await nats.ConnectAsync().AsTask().WaitAsync(taking.Token);
            await revocations.Synced.WaitAsync(taking.Token);
            // One taking loop per stream, sharing the node's job slots.
            var js = new NatsJSContext(nats);
            await Task.WhenAll(JobStreams.Taken.Select(stream => TakeAsync(js, stream, taking.Token)));
        }
        catch (OperationCanceledException) when (taking.IsCancellationRequested)
        {
            // Stopping: no more jobs are taken.
        }

        // Jobs in hand finish within the drain timeout; past it the drain stops them and they are
        // handed back at once (see RunAsync), not left for the ack wait.
        await Task.WhenAll(_running.Keys).WaitAsync(drain.Left, CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
        if (!_running.IsEmpty)
        {
            await drain.EndAsync();
        }
    }

    private async Task TakeAsync(NatsJSContext js, string stream, CancellationToken taking)
    {
        var slots = _slots;
        INatsJSConsumer? consumer = null;
        var announced = false;
        var saidMissing = false;
        while (!taking.IsCancellationRequested)
        {
            try
            {
                if (consumer is null)
                {
                    consumer = await JobStreams.OpenAsync(js, stream, taking);
                    FollowConsumer(consumer.Info.Config);
                    if (!announced)
                    {
                        announced = true;
                        Log.JobsServing(logger, stream, _options.Concurrency);
                    }
                }

                // A job is taken only when a slot is free to run it: the node never holds a job it
                // is not running, so a node that stops or dies strands none but those it runs.
                await slots.WaitAsync(taking);
                INatsJSMsg<NatsMemoryOwner<byte>>? msg;
                try
                {
                    msg = await NextAsync(consumer);
                }
                catch
                {
                    slots.Release();
                    throw;
                }

                if (msg is null)
                {
                    slots.Release();
                    continue;
                }

                if (taking.IsCancellationRequested)
                {
                    msg.Data.Dispose();
                    await HandBackAsync(msg);
                    slots.Release();
                    return;
                }

                Track(Task.Run(
                    async () =>
                    {
                        try
                        {
                            // A job in hand runs to its end (its wall time bounds it) and is
                            // acknowledged even while the node stops, unless the drain ends first.
                            await RunAsync(js, msg);
                        }
                        finally
                        {
                            slots.Release();
                        }
                    },
                    CancellationToken.None));
            }
            catch (NatsJSApiException e) when (e.Error.Code == 404)
            {
                consumer = null;
                if (!saidMissing)
                {
                    saidMissing = true;
                    Log.JobsNotDeclared(logger, stream, JobSubjects.Consumer);
                }

                await Task.Delay(TimeSpan.FromSeconds(1), taking);
            }
            catch (Exception e) when (e is NatsException or TimeoutException || (e is OperationCanceledException && !taking.IsCancellationRequested))
            {
                // JetStream not ready (a cluster electing its leader), NATS away (a request while
                // disconnected is cancelled) or the consumer lost: calls are still served; jobs
                // wait until the streams answer again.
                consumer = null;
                Log.JobsNotReady(logger, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), taking);
            }
        }
    }

    private static async Task<INatsJSMsg<NatsMemoryOwner<byte>>?> NextAsync(INatsJSConsumer consumer)
    {
        try
        {
            return await consumer.NextAsync<NatsMemoryOwner<byte>>(opts: new NatsJSNextOpts { Expires = PullWait }, cancellationToken: CancellationToken.None);
        }
        catch (NatsJSTimeoutException)
        {
            return null;
        }
    }

    private void Track(Task job)
    {
        _running.TryAdd(job, 0);
        _ = job.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The moment the node is told to stop, before any service stops: take no more jobs.</summary>
    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        drain.Begin();
        return _taking.CancelAsync();
    }

    /// <summary>After every service stopped (the node's drain stopped what overran it): wait for the hand-backs to reach NATS.</summary>
    public Task StoppedAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_running.Keys).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);

    public override void Dispose()
    {
        // The slots are not disposed: a loop the stop timeout left running may still release one,
        // and a SemaphoreSlim whose wait handle was never asked for holds nothing to free.
        _taking.Dispose();
        base.Dispose();
    }

    // The consumer may have been declared by mesh deploy or another node, with other settings than
    // this node's: the node follows it where a difference would lose a job, and says so.
    private void FollowConsumer(ConsumerConfig consumer)
    {
        var limit = consumer.MaxDeliver > 0 ? (int)Math.Min(consumer.MaxDeliver, _options.MaxDeliveries) : _options.MaxDeliveries;
        Volatile.Write(ref _maxDeliveries, limit);
        if (consumer.MaxDeliver != _options.MaxDeliveries || consumer.AckWait < _wallTime + TimeSpan.FromSeconds(5))
        {
            Log.JobsConsumerDiffers(logger, JobSubjects.Consumer, consumer.MaxDeliver, consumer.AckWait, _options.MaxDeliveries, _wallTime, limit);
        }
    }

    // A job this node will not run or finish: straight back to the stream for another node, without
    // a wait. If even that cannot reach NATS, the ack wait brings it back.
    private async Task HandBackAsync(INatsJSMsg<NatsMemoryOwner<byte>> msg)
    {
        Log.JobHandedBack(logger, msg.Subject);
        try
        {
            await msg.NakAsync(cancellationToken: CancellationToken.None);
        }
        catch (NatsException e)
        {
            Log.JobsNotReady(logger, e.Message);
        }
    }

    // The invocation stops when the drain ends (node.stopped, handed back); what it says to
    // JetStream afterwards (ack, nak, dead letter) is not cancelled: NATS's own timeouts bound it.
    private async Task RunAsync(NatsJSContext js, INatsJSMsg<NatsMemoryOwner<byte>> msg)
    {
        using var data = msg.Data;
        var function = JobSubjects.FunctionOf(msg.Subject) ?? "";
        var deliveries = (int)(msg.Metadata?.NumDelivered ?? 1);
        try
        {
            // A job is a span like a call, current while its output is handed on.
            var token = TokenLook.Of(InvocationRunner.Header(msg.Headers, MeshHeaders.Token), tokens);
            using var invocation = await runner.RunAsync(Subjects.ForFunction(function), msg.Headers, token, data.Memory, Stopwatch.GetTimestamp(), replyTo: null);
            var error = invocation.Error;
            var tokenId = invocation.TokenId;
            if (invocation.HandsOn && await runner.HandOnAsync(invocation, replyTo: null) is { IsOk: false } handOn)
            {
                error = handOn.Error;
            }

            if (error.Code == ErrorCode.None)
            {
                await msg.AckAsync(cancellationToken: CancellationToken.None);
                return;
            }

            if (error.Code is ErrorCode.NodeStopped or ErrorCode.NodeDraining)
            {
                // This node stopped before the job could end: another node takes it now.
                await HandBackAsync(msg);
                return;
            }

            if (!Permanent.Contains(error.Code) && deliveries < Volatile.Read(ref _maxDeliveries))
            {
                var backoff = _options.EffectiveBackoff;
                var delay = backoff[Math.Min(deliveries - 1, backoff.Count - 1)];
                Log.JobRetried(logger, msg.Subject, deliveries, error.Code.ToWire(), delay);
                await msg.NakAsync(new AckOpts { NakDelay = delay }, CancellationToken.None);
                return;
            }

            await DeadLetterAsync(js, msg, function, deliveries, error, tokenId, CancellationToken.None);
            await msg.AckTerminateAsync(cancellationToken: CancellationToken.None);
        }
        catch (OperationCanceledException) when (drain.Ended.IsCancellationRequested)
        {
            // The drain ended before the job could start: another node takes it now.
            await HandBackAsync(msg);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Unacknowledged: JetStream delivers it again after the ack wait.
            Log.Internal(logger, e, msg.Subject);
        }
    }

    private async Task DeadLetterAsync(NatsJSContext js, INatsJSMsg<NatsMemoryOwner<byte>> msg, string function, int deliveries, MeshError error, string tokenId, CancellationToken stoppingToken)
    {
        var headers = new NatsHeaders();
        foreach (var (name, value) in msg.Headers ?? new NatsHeaders())
        {
            headers[name] = value;
        }

        headers[MeshHeaders.Status] = error.Code.ToWire();
        headers[MeshHeaders.Message] = ReplyHeaders.Message(error);
        headers[JobSubjects.DeliveriesHeader] = deliveries.ToString(CultureInfo.InvariantCulture);
        headers.Remove("Nats-Msg-Id");

        // Dead letters are kept for days and read by operators: keep which token, not the token.
        headers.Remove(MeshHeaders.Token);
        headers[JobSubjects.TokenIdHeader] = tokenId;
        Log.JobDead(logger, msg.Subject, deliveries, error.Code.ToWire(), error.Message);
        await js.PublishAsync(JobSubjects.DeadPrefix + (FunctionName.IsValid(function) ? function : "_invalid"), msg.Data.Memory, headers: headers, cancellationToken: stoppingToken);
    }
}
