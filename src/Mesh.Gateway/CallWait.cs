using System.Collections.Concurrent;
using Mesh.Contracts.Tokens;

namespace Mesh.Gateway;

/// <summary>
/// How long the gateway waits for a call: as long as the call may wait to start
/// (<see cref="GatewayOptions.StartWithin"/>), then what the called function may take by its
/// token's wall time (and the functions its declared chain hands on to, one after another; a
/// fan-out's branches side by side), plus a margin per step for queueing and transit, and never
/// longer than the gateway's own timeout. Before, a call held by a node that died waited the whole 30 s. The
/// token is read without verifying it: what it claims only ever shortens the caller's own wait,
/// and the node verifies it anyway.
/// </summary>
public sealed class CallWait(GatewayOptions options)
{
    private const int MaxKept = 1024;
    private const int MaxSteps = 16;

    // Tokens longer than this are not kept: 1024 of the largest headers would hold tens of MiB.
    private const int MaxKeptLength = 4096;

    /// <summary>Added per step: queueing at a node, transit, and the reply's way back.</summary>
    public static readonly TimeSpan StepMargin = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<(string Token, string Function), TimeSpan> _kept = new();

    public TimeSpan For(string token, string function)
    {
        if (_kept.TryGetValue((token, function), out var known))
        {
            return known;
        }

        var wait = Compute(token, function);
        if (token.Length > MaxKeptLength)
        {
            return wait;
        }

        if (_kept.Count >= MaxKept)
        {
            _kept.Clear();
        }

        _kept[(token, function)] = wait;
        return wait;
    }

    private TimeSpan Compute(string token, string function)
    {
        var bytes = TokenCodec.FromText(token, 64 * 1024);
        if (!bytes.IsOk || TokenCodec.Decode(bytes.Value) is not { IsOk: true } envelope)
        {
            return options.Timeout;
        }

        // Every block's functions: a function's wall time is the least any block gives it, its
        // next steps those of the last block that lists it.
        var wall = new Dictionary<string, long>(StringComparer.Ordinal);
        var then = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var block in envelope.Value.Blocks)
        {
            if (TokenCodec.DecodeClaims(block.Payload) is not { IsOk: true, Value.Functions: { } functions })
            {
                continue;
            }

            foreach (var grant in functions)
            {
                if (grant.Limits.WallTimeMs is { } ms)
                {
                    wall[grant.Function] = Math.Min(ms, wall.GetValueOrDefault(grant.Function, long.MaxValue));
                }

                then[grant.Function] = [.. grant.Then];
            }
        }

        var total = options.StartWithin + Steps(function, wall, then, 0, []);
        return total < options.Timeout ? total : options.Timeout;
    }

    // The longest path of steps from `function`, each (function, depth) worked out once: the token
    // is not verified, and its then-lists (up to 16 each) may fan out into each other in a cycle,
    // which walked as a tree would be 16^16 steps.
    private TimeSpan Steps(string function, Dictionary<string, long> wall, Dictionary<string, string[]> then, int depth, Dictionary<(string, int), TimeSpan> known)
    {
        if (known.TryGetValue((function, depth), out var done))
        {
            return done;
        }

        var own = TimeSpan.FromMilliseconds(Math.Min(wall.GetValueOrDefault(function, long.MaxValue), (long)options.FunctionWallTime.TotalMilliseconds)) + StepMargin;
        var longest = own;
        if (depth < MaxSteps && then.TryGetValue(function, out var next))
        {
            foreach (var step in next)
            {
                var path = own + Steps(step, wall, then, depth + 1, known);
                longest = path > longest ? path : longest;
            }
        }

        known[(function, depth)] = longest;
        return longest;
    }
}
