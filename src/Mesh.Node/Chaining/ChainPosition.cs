using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Mesh.Contracts.Wire;
using NATS.Client.Core;

namespace Mesh.Node.Chaining;

/// <summary>
/// Where one call stands in a chain, from its headers: the functions before it (<c>Mesh-Path</c>),
/// the time the rest of the chain may still take (<c>Mesh-Budget</c>, counted from when the call
/// reached this node, so time queued here counts), how many invocations it may still cause
/// (<c>Mesh-Invocations</c>) and the W3C trace context. Every hop the call makes writes the same
/// headers on, one step further and with what is left.
/// </summary>
public sealed class ChainPosition
{
    /// <summary>A chain longer than this is refused as malformed, whatever the token's depth.</summary>
    public const int MaxPath = 64;

    private readonly long? _deadline;

    private ChainPosition(ImmutableArray<string> path, long? deadline, int? invocations, string? traceParent, string? traceState)
    {
        Path = path;
        _deadline = deadline;
        Invocations = invocations;
        TraceParent = traceParent;
        TraceState = traceState;
    }

    /// <summary>
    /// A call from outside any chain, with no budget. A new one each time, not a shared instance: an untraced call makes
    /// its own trace id (<see cref="TraceId"/>) and keeps it here.
    /// </summary>
    public static ChainPosition Start => new([], null, null, null, null);

    /// <summary>How many invocations the call said it may cause, itself included; null when it said nothing.</summary>
    public int? Invocations { get; }

    /// <summary>The functions called before this one, first to last.</summary>
    public ImmutableArray<string> Path { get; }

    /// <summary>1 for the function the caller called, 2 for the one it handed on to, and so on.</summary>
    public int Step => Path.Length + 1;

    public string? TraceParent { get; }

    public string? TraceState { get; }

    private string? _traceId;

    /// <summary>
    /// The chain's trace id: the one its trace context carries or, for a call that came with none,
    /// one made here on first use and carried by its hops, so every chain can be followed in
    /// <c>mesh logs</c> and the dashboard whether or not spans are exported.
    /// </summary>
    public string TraceId => _traceId ??= TraceParent is { Length: >= 35 } parent && parent[2] == '-' && parent[35] == '-'
        ? parent[3..35]
        : System.Security.Cryptography.RandomNumberGenerator.GetHexString(32, lowercase: true);

    public bool HasBudget => _deadline is not null;

    /// <summary>What is left of the budget; null when the caller set none.</summary>
    public TimeSpan? Remaining => _deadline is { } deadline ? Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline) : null;

    /// <summary>The position a message's headers give, counted from <paramref name="arrived"/> (a Stopwatch timestamp).</summary>
    public static Result<ChainPosition> Read(NatsHeaders? headers, long arrived)
    {
        string? Header(string name) => headers is not null && headers.TryGetValue(name, out var value) ? value.ToString() : null;
        return headers is null
            ? Result<ChainPosition>.Ok(Start)
            : Read(Header(MeshHeaders.Path), Header(MeshHeaders.Budget), Header(MeshHeaders.TraceParent), Header(MeshHeaders.TraceState), arrived, Header(MeshHeaders.Invocations));
    }

    public static Result<ChainPosition> Read(string? path, string? budget, string? traceParent, string? traceState, long arrived, string? invocations = null)
    {
        if (path is null && budget is null && traceParent is null && traceState is null && invocations is null)
        {
            // A plain call, the common case: nothing to allocate.
            return Result<ChainPosition>.Ok(Start);
        }

        var functions = ImmutableArray<string>.Empty;
        if (!string.IsNullOrEmpty(path))
        {
            functions = [.. path.Split(',')];
            if (functions.Length > MaxPath || functions.Any(f => !FunctionName.IsValid(f)))
            {
                return Result<ChainPosition>.Fail(ErrorCode.RequestMalformed, $"{MeshHeaders.Path} must be at most {MaxPath} function names, comma-separated");
            }
        }

        long? deadline = null;
        if (budget is not null)
        {
            if (!long.TryParse(budget, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds) || milliseconds > int.MaxValue)
            {
                return Result<ChainPosition>.Fail(ErrorCode.RequestMalformed, $"{MeshHeaders.Budget} must be a whole number of milliseconds");
            }

            deadline = arrived + (long)(milliseconds * (Stopwatch.Frequency / 1000.0));
        }

        int? invocationsLeft = null;
        if (invocations is not null)
        {
            if (!int.TryParse(invocations, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            {
                return Result<ChainPosition>.Fail(ErrorCode.RequestMalformed, $"{MeshHeaders.Invocations} must be a whole number");
            }

            invocationsLeft = count;
        }

        // Trace context that is not printable or too long is dropped rather than refused (tracing
        // never fails a call); a traceparent that does not parse is dropped where it is read.
        traceParent = traceParent is { Length: <= 64 } && PrintableText.IsClean(traceParent) ? traceParent : null;
        traceState = traceParent is not null && traceState is { Length: <= 512 } && PrintableText.IsClean(traceState) ? traceState : null;
        return Result<ChainPosition>.Ok(new ChainPosition(functions, deadline, invocationsLeft, traceParent, traceState));
    }

    /// <summary>Whether handing on from <paramref name="current"/> to <paramref name="target"/> would visit a function twice.</summary>
    public bool WouldLoop(string current, string target) => target == current || Path.Contains(target);

    /// <summary>
    /// The headers of a hop from <paramref name="current"/>: one step further, the budget left, the
    /// <paramref name="invocations"/> the hop may cause, and
    /// the trace context of this invocation's span (or, untraced here, the one that came in). Where
    /// the sender waits for the answer only <paramref name="wait"/>, the hop gets 90% of that at most,
    /// so a step that runs out of time can still say so before the sender stops listening.
    /// </summary>
    public NatsHeaders HopHeaders(string current, string token, int invocations, TimeSpan? wait = null)
    {
        var headers = new NatsHeaders
        {
            [MeshHeaders.Token] = token,
            [MeshHeaders.Path] = Path.IsEmpty ? current : string.Join(',', Path) + "," + current,
            [MeshHeaders.Invocations] = invocations.ToString(CultureInfo.InvariantCulture),
        };
        var budget = (Remaining, wait * 0.9) switch
        {
            ({ } r, { } w) => r < w ? r : w,
            (var r, var w) => r ?? w,
        };
        if (budget is { } left)
        {
            headers[MeshHeaders.Budget] = Math.Max(0, (long)left.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        }

        var activity = Activity.Current;
        // Untraced everywhere so far: the hop carries the chain's trace id, not sampled (flags 00).
        var traceParent = activity is { IdFormat: ActivityIdFormat.W3C } ? activity.Id
            : TraceParent ?? $"00-{TraceId}-{System.Security.Cryptography.RandomNumberGenerator.GetHexString(16, lowercase: true)}-00";
        if (traceParent is not null)
        {
            headers[MeshHeaders.TraceParent] = traceParent;
            if ((activity?.TraceStateString ?? TraceState) is { } state)
            {
                headers[MeshHeaders.TraceState] = state;
            }
        }

        return headers;
    }
}
