using System.Collections.Frozen;
using Mesh.Contracts.Wire;

namespace Mesh.Contracts.Tokens;

/// <summary>
/// A token whose signatures, trust chain and narrowing have been checked. What is left per message
/// (time, audience, module) is <see cref="Authorize"/>: a dictionary lookup and a few comparisons,
/// so a cached <see cref="VerifiedToken"/> makes the steady-state cost a hash and a lookup.
/// </summary>
public sealed class VerifiedToken
{
    private readonly FrozenDictionary<string, Grant> _grants;

    internal VerifiedToken(TokenChain chain, TokenEnvelope envelope)
    {
        Chain = chain;
        Envelope = envelope;
        RootKey = envelope.RootKey;
        IsSealed = envelope.IsSealed;
        TokenId = Convert.ToHexStringLower(chain.Root.TokenId.AsSpan());
        var restricting = chain.Blocks.Where(b => b.Functions is not null).Select(b => b.Functions!.Value).ToArray();
        _grants = chain.Functions.ToFrozenDictionary(
            f => f.Function,
            f => new Grant(f.Function, TokenId, chain.Expires, [.. restricting.Select(block => block.First(g => g.Function == f.Function))]),
            StringComparer.Ordinal);
    }

    public TokenChain Chain { get; }

    /// <summary>The envelope this was verified from: what attenuating it appends to.</summary>
    internal TokenEnvelope Envelope { get; }

    /// <summary>The token as text, to present it again (to the secrets service); made once, when first asked for.</summary>
    public string Text => _text ??= TokenCodec.ToText(TokenCodec.Encode(Envelope));

    private string? _text;

    public string TokenId { get; }

    public byte[] RootKey { get; }

    public bool IsSealed { get; }

    public long NotBefore => Chain.NotBefore;

    public long Expires => Chain.Expires;

    /// <summary>Where answers to calls made with this token may go; null: any inbox.</summary>
    public string? ReplyPrefix => Chain.ReplyPrefix;

    /// <summary>
    /// Whether an answer may go to <paramref name="replyTo"/> (null asks for none: always fine).
    /// Like every action, it must be allowed by every block that binds replies, not only the last.
    /// </summary>
    public bool AllowsReply(string? replyTo)
    {
        if (replyTo is null || Chain.ReplyPrefix is null)
        {
            return true;
        }

        foreach (var block in Chain.Blocks)
        {
            if (block.ReplyPrefix is { } prefix && !Rules.ReplyPrefix.Covers(prefix, replyTo))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether the token may be used now on <paramref name="function"/>'s subject, optionally with a
    /// requested module. Valid from <c>NotBefore - skew</c> up to, not including, <c>Expires + skew</c>.
    /// </summary>
    public Result<Grant> Authorize(string function, Sha256Digest? module, DateTimeOffset now, TimeSpan clockSkew)
    {
        var seconds = now.ToUnixTimeSeconds();
        var skew = (long)clockSkew.TotalSeconds;
        if (seconds < NotBefore - skew)
        {
            return Result<Grant>.Fail(ErrorCode.TokenNotYetValid, $"the token is valid from {DateTimeOffset.FromUnixTimeSeconds(NotBefore):O}");
        }

        if (seconds >= Expires + skew)
        {
            return Result<Grant>.Fail(ErrorCode.TokenExpired, $"the token expired at {DateTimeOffset.FromUnixTimeSeconds(Expires):O}");
        }

        if (Chain.Audience is { } audience && audience != function)
        {
            return Result<Grant>.Fail(ErrorCode.TokenWrongSubject, $"the token is for function '{audience}', not '{function}'");
        }

        if (!_grants.TryGetValue(function, out var grant))
        {
            return Result<Grant>.Fail(ErrorCode.TokenWrongSubject, $"the token grants nothing to function '{function}'");
        }

        if (grant.Modules.IsEmpty || (module is { } requested && !grant.AllowsModule(requested)))
        {
            return Result<Grant>.Fail(ErrorCode.TokenWrongModule, $"the token does not allow module {module?.ToString() ?? "(any)"} for function '{function}'");
        }

        return Result<Grant>.Ok(grant);
    }
}
