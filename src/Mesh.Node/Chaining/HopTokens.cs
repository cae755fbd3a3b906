using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;

namespace Mesh.Node.Chaining;

/// <summary>
/// Hop tokens, made once and reused: the same verified token handed to the same function with the
/// same expiry gets the same bytes, so this node signs once and the next node verifies once (its
/// cache then knows the token) instead of paying both on every call of a chain. Entries live as
/// long as the verified token they came from (the verified-token cache decides that), and expired
/// ones are dropped as new ones arrive.
/// </summary>
public sealed class HopTokens
{
    private readonly ConditionalWeakTable<VerifiedToken, ConcurrentDictionary<(string Target, long Expires), string>> _made = [];

    public Result<string> For(VerifiedToken? token, string target, DateTimeOffset now, TimeSpan lifetime)
    {
        if (token is null)
        {
            return Result<string>.Fail(ErrorCode.TokenMissing, "this invocation has no token to hand on");
        }

        var expires = HopToken.Expiry(token, now, lifetime);
        var made = _made.GetValue(token, _ => new ConcurrentDictionary<(string, long), string>());
        if (made.TryGetValue((target, expires), out var text))
        {
            return Result<string>.Ok(text);
        }

        var hop = HopToken.For(token, target, now, lifetime);
        if (!hop.IsOk)
        {
            return Result<string>.Fail(hop.Error);
        }

        var seconds = now.ToUnixTimeSeconds();
        foreach (var stale in made.Keys.Where(k => k.Expires <= seconds))
        {
            made.TryRemove(stale, out _);
        }

        text = TokenCodec.ToText(hop.Value);
        made[(target, expires)] = text;
        return Result<string>.Ok(text);
    }
}
