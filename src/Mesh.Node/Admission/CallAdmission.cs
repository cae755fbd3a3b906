using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Mesh.Contracts.Tokens;
using Mesh.Node.Tokens;

namespace Mesh.Node.Admission;

/// <summary>
/// Which calls wait for a worker and which are refused at once, apart from where calls come from
/// (the NATS endpoint, <see cref="Messaging.FunctionService"/>). A bounded queue that workers
/// drain, at most <c>MaxPerFunction</c> calls of one function on the node, and calls whose token
/// has not been verified yet parked beside its first call (<see cref="PendingVerifications{T}"/>).
/// Never waits: a call is queued, parked or refused. Knows nothing of NATS.
/// </summary>
public sealed class CallAdmission<TCall>(ExecutionOptions execution, Func<int> inFlight)
{
    private readonly Channel<Admitted> _queue = Channel.CreateBounded<Admitted>(
        new BoundedChannelOptions(Math.Max(1, execution.QueueLength)) { FullMode = BoundedChannelFullMode.Wait });
    private readonly PendingVerifications<(string Subject, TCall Call)> _unverified = new(execution.MaxUnverified, Math.Max(1, execution.QueueLength));
    private readonly ConcurrentDictionary<string, int> _perFunction = new(StringComparer.Ordinal);
    private int _waiting;

    public enum Verdict
    {
        /// <summary>In the queue: a worker will run it.</summary>
        Queued,

        /// <summary>Beside its token's first call, answered when that token is verified.</summary>
        Parked,

        /// <summary>Refused: every worker and queue place is taken (or the node stopped taking calls).</summary>
        Full,

        /// <summary>Refused: too many tokens, or calls with them, wait for a first verification.</summary>
        UnverifiedFull,

        /// <summary>Refused: its function already has its share of the node.</summary>
        FunctionFull,
    }

    /// <summary>A call a worker takes, with its token as looked up and when it arrived.</summary>
    public readonly record struct Admitted(string Subject, TCall Call, TokenLook Token, long Arrived);

    /// <summary>Calls in the queue, not yet taken by a worker.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>
    /// Admits a call that arrived: a token never verified here is verified by its first call, and
    /// its other calls park meanwhile. When the first call itself is refused, the calls parked
    /// beside it are too: <see cref="CompleteParked"/> hands them back to be refused.
    /// </summary>
    public Verdict Arrive(string subject, TCall call, TokenLook token)
    {
        if (token.IsUnknown)
        {
            switch (_unverified.Arrive(token.Key, (subject, call)))
            {
                case PendingVerifications<(string, TCall)>.Arrival.Parked:
                    return Verdict.Parked;
                case PendingVerifications<(string, TCall)>.Arrival.Full:
                    return Verdict.UnverifiedFull;
            }
        }

        return Enqueue(subject, call, token);
    }

    /// <summary>Into the queue, or refused; for calls that arrived and for parked calls once their token is known.</summary>
    public Verdict Enqueue(string subject, TCall call, TokenLook token)
    {
        // One slow function must not take every worker: past its share, only its calls are refused.
        if (execution.MaxPerFunction > 0 && _perFunction.GetValueOrDefault(subject) >= execution.MaxPerFunction)
        {
            return Verdict.FunctionFull;
        }

        // A call waits here at most until one of the workers, each running one invocation, is free.
        var allBusy = inFlight() >= execution.Concurrency;
        if ((Waiting < execution.QueueLength || !allBusy) && _queue.Writer.TryWrite(new Admitted(subject, call, token, Stopwatch.GetTimestamp())))
        {
            Interlocked.Increment(ref _waiting);
            if (execution.MaxPerFunction > 0)
            {
                _perFunction.AddOrUpdate(subject, 1, (_, n) => n + 1);
            }

            return Verdict.Queued;
        }

        return Verdict.Full;
    }

    /// <summary>The token's first call has its verdict: the calls parked beside it, to admit or refuse.</summary>
    public List<(string Subject, TCall Call)> CompleteParked(Sha256Digest token) => _unverified.Complete(token);

    /// <summary>The queue as workers take from it, until <see cref="Complete"/>.</summary>
    public async IAsyncEnumerable<Admitted> TakeAllAsync()
    {
        await foreach (var admitted in _queue.Reader.ReadAllAsync())
        {
            Interlocked.Decrement(ref _waiting);
            yield return admitted;
        }
    }

    /// <summary>A taken call has ended: its function's share frees one place.</summary>
    public void Done(string subject)
    {
        if (execution.MaxPerFunction <= 0)
        {
            return;
        }

        // The entry goes at zero (only if still zero), so any number of functions costs nothing.
        var left = _perFunction.AddOrUpdate(subject, 0, (_, n) => n - 1);
        if (left <= 0)
        {
            _perFunction.TryRemove(KeyValuePair.Create(subject, left));
        }
    }

    /// <summary>No more calls: workers end once the queue is empty.</summary>
    public void Complete() => _queue.Writer.TryComplete();
}
