using System.Collections.Immutable;
using Mesh.Contracts.Wire;

namespace Mesh.Contracts.Tokens;

/// <summary>
/// The claims of a token's blocks, checked as a chain: the root states a complete grant and every
/// later block is a subset of what came before (attenuation only, never widening). Holds the
/// effective window and depth; capability checks still ask every block (see <see cref="Grant"/>).
/// </summary>
public sealed class TokenChain
{
    private TokenChain(ImmutableArray<BlockClaims> blocks, long notBefore, long expires, int maxDepth, string? audience, ImmutableArray<FunctionGrant> functions, string? replyPrefix)
    {
        Blocks = blocks;
        NotBefore = notBefore;
        Expires = expires;
        MaxDepth = maxDepth;
        Audience = audience;
        Functions = functions;
        ReplyPrefix = replyPrefix;
    }

    public ImmutableArray<BlockClaims> Blocks { get; }

    public BlockClaims Root => Blocks[0];

    /// <summary>Blocks after the root.</summary>
    public int Depth => Blocks.Length - 1;

    public long NotBefore { get; }

    public long Expires { get; }

    public int MaxDepth { get; }

    public string? Audience { get; }

    /// <summary>The functions of the last block that lists them (every earlier list covers it).</summary>
    public ImmutableArray<FunctionGrant> Functions { get; }

    /// <summary>The reply binding of the last block that states one (every earlier one covers it), or null: answers may go to any inbox.</summary>
    public string? ReplyPrefix { get; }

    public static Result<TokenChain> FromRoot(BlockClaims root)
    {
        if (root.TokenId.IsDefault || root.TokenId.Length != BlockClaims.TokenIdLength)
        {
            return Malformed($"the root block must carry a {BlockClaims.TokenIdLength}-byte token id");
        }

        if (root.IssuedAt is null || root.Expires is null || root.MaxDepth is null || root.Functions is null)
        {
            return Malformed("the root block must state issued-at, expiry, maximum depth and functions");
        }

        if (root.MaxDepth < 0)
        {
            return Malformed("maximum depth must not be negative");
        }

        var notBefore = root.NotBefore ?? root.IssuedAt.Value;
        if (root.Expires <= notBefore)
        {
            return Malformed("the root block expires before it becomes valid");
        }

        if (root.Functions.Value.IsEmpty)
        {
            return Malformed("the root block grants no function");
        }

        if (ValidateCommon(root) is { } error)
        {
            return error;
        }

        return Result<TokenChain>.Ok(new TokenChain([root], notBefore, root.Expires.Value, root.MaxDepth.Value, root.Audience, root.Functions.Value, root.ReplyPrefix));
    }

    /// <summary>The chain with <paramref name="next"/> appended, or why it may not be.</summary>
    public Result<TokenChain> Append(BlockClaims next)
    {
        if (next.IsRoot)
        {
            return Malformed("only the root block may carry a token id");
        }

        if (ValidateCommon(next) is { } error)
        {
            return error;
        }

        if (next.Expires > Expires)
        {
            return Widened($"block {Blocks.Length} expires at {Time(next.Expires.Value)}, later than the token it narrows ({Time(Expires)})");
        }

        if (next.NotBefore < NotBefore)
        {
            return Widened($"block {Blocks.Length} becomes valid at {Time(next.NotBefore.Value)}, earlier than the token it narrows ({Time(NotBefore)})");
        }

        if (next.MaxDepth > MaxDepth)
        {
            return Widened($"block {Blocks.Length} raises the maximum depth to {next.MaxDepth} from {MaxDepth}");
        }

        if (next.Audience is not null && Audience is not null && next.Audience != Audience && !MayHandOn(Audience, next.Audience))
        {
            return Widened($"block {Blocks.Length} moves the audience from '{Audience}' to '{next.Audience}', which '{Audience}' may not call");
        }

        if (next.ReplyPrefix is { } replyPrefix && ReplyPrefix is { } bound && !Rules.ReplyPrefix.Covers(bound, replyPrefix))
        {
            return Widened($"block {Blocks.Length} binds replies to '{replyPrefix}', which is not under '{bound}' (a reply prefix may only be lengthened)");
        }

        if (next.Audience is not null && next.Audience != Audience && Blocks.Any(b => b.Audience == next.Audience))
        {
            return Result<TokenChain>.Fail(ErrorCode.ChainLoop, $"block {Blocks.Length} moves the audience back to '{next.Audience}', which the chain already left");
        }

        if (next.Functions is { } functions)
        {
            foreach (var child in functions)
            {
                var parent = Functions.FirstOrDefault(f => f.Function == child.Function);
                if (parent is null)
                {
                    return Widened($"block {Blocks.Length} grants function '{child.Function}', which the token before it does not");
                }

                if (parent.Uncovered(child) is { } widened)
                {
                    return Widened($"block {Blocks.Length} gives function '{child.Function}' {widened}, which the token before it does not grant");
                }
            }
        }

        var maxDepth = Math.Min(MaxDepth, next.MaxDepth ?? MaxDepth);
        if (Blocks.Length > maxDepth)
        {
            return Result<TokenChain>.Fail(ErrorCode.TokenDepth, $"the token has {Blocks.Length} blocks after the root, at most {maxDepth} allowed");
        }

        return Result<TokenChain>.Ok(new TokenChain(
            Blocks.Add(next),
            Math.Max(NotBefore, next.NotBefore ?? NotBefore),
            Math.Min(Expires, next.Expires ?? Expires),
            maxDepth,
            next.Audience ?? Audience,
            next.Functions ?? Functions,
            next.ReplyPrefix ?? ReplyPrefix));
    }

    // A hop: the audience moves from one function to the next only where every block declares the
    // second as a next step of the first, or lets the first publish or request to the second's
    // subject: the authority its holder already has.
    private bool MayHandOn(string from, string to)
    {
        var subject = Subjects.ForFunction(to);
        var blocks = Blocks.Where(b => b.Functions is not null).Select(b => b.Functions!.Value.FirstOrDefault(f => f.Function == from)).ToList();
        return blocks.All(f => f is not null && f.Then.Contains(to))
            || blocks.All(f => f is not null && (f.Capabilities.Publish.Any(p => Rules.SubjectPattern.Matches(p, subject))
                || f.Capabilities.Request.Any(p => Rules.SubjectPattern.Matches(p, subject))));
    }

    private static MeshError? ValidateCommon(BlockClaims block)
    {
        if (block.Audience is { } audience && !FunctionName.IsValid(audience))
        {
            return new MeshError(ErrorCode.TokenMalformed, $"audience '{audience}' is not a valid function name");
        }

        if (block.ReplyPrefix is { } replyPrefix && !Rules.ReplyPrefix.IsValid(replyPrefix))
        {
            return new MeshError(ErrorCode.TokenMalformed, $"reply prefix '{PrintableText.Clean(replyPrefix, 64)}' is not a literal subject (tokens separated by dots, no wildcards or white space)");
        }

        if (block.Functions is not { } functions)
        {
            return null;
        }

        foreach (var function in functions)
        {
            if (function.Validate() is { } error)
            {
                return new MeshError(ErrorCode.TokenMalformed, error);
            }
        }

        if (functions.Select(f => f.Function).Distinct(StringComparer.Ordinal).Count() != functions.Length)
        {
            return new MeshError(ErrorCode.TokenMalformed, "a block names the same function twice");
        }

        return DeclaredChainError(functions) is { } chainError ? new MeshError(ErrorCode.TokenMalformed, chainError) : null;
    }

    // A declared chain is checked where it is stated: every next step is a function of the same
    // block, and following next steps never comes back (a loop would run until the depth ran out).
    private static string? DeclaredChainError(ImmutableArray<FunctionGrant> functions)
    {
        var byName = functions.ToDictionary(f => f.Function, StringComparer.Ordinal);
        foreach (var function in functions)
        {
            if (function.Then.FirstOrDefault(next => !byName.ContainsKey(next)) is { } missing)
            {
                return $"function '{function.Function}' hands its output to '{missing}', which the block does not grant";
            }
        }

        var done = new HashSet<string>(StringComparer.Ordinal);
        var onPath = new HashSet<string>(StringComparer.Ordinal);
        string? Visit(string name)
        {
            if (done.Contains(name))
            {
                return null;
            }

            if (!onPath.Add(name))
            {
                return $"the declared chain comes back to '{name}'";
            }

            foreach (var next in byName[name].Then)
            {
                if (Visit(next) is { } loop)
                {
                    return loop;
                }
            }

            onPath.Remove(name);
            done.Add(name);
            return null;
        }

        return functions.Select(f => Visit(f.Function)).FirstOrDefault(e => e is not null);
    }

    private static Result<TokenChain> Malformed(string message) => Result<TokenChain>.Fail(ErrorCode.TokenMalformed, message);

    private static Result<TokenChain> Widened(string message) => Result<TokenChain>.Fail(ErrorCode.TokenWidened, message);

    // Times in messages as people read them, not Unix seconds.
    // A claim outside the calendar (a forged token may say anything) is shown as it is.
    private static string Time(long unixSeconds) =>
        unixSeconds is >= -62135596800 and <= 253402300799
            ? DateTimeOffset.FromUnixTimeSeconds(unixSeconds).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture)
            : $"Unix time {unixSeconds}";
}
