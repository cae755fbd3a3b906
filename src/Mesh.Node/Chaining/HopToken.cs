using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;

namespace Mesh.Node.Chaining;

/// <summary>
/// The token a hop to another function carries: the invocation's own token with one more block,
/// audience the target, expiring no later than the token does nor than <c>notAfter</c>, signed
/// with the secret the token carries for its next block (its signatures were checked when the
/// call arrived, so only the narrowing is checked here). The node holds no key: a sealed token
/// cannot be handed on, and the verifier accepts the move only where the calling function's grant
/// declares the target as a next step or allows calling it.
/// </summary>
public static class HopToken
{
    public static Result<byte[]> For(VerifiedToken? token, string targetFunction, DateTimeOffset now, TimeSpan lifetime)
    {
        if (token is null)
        {
            return Result<byte[]>.Fail(ErrorCode.TokenMissing, "this invocation has no token to hand on");
        }

        return TokenIssuer.Attenuate(token, new BlockClaims
        {
            IssuedAt = now.ToUnixTimeSeconds(),
            Expires = Expiry(token, now, lifetime),
            Audience = targetFunction,
        });
    }

    /// <summary>Unix seconds: the token's own expiry, or sooner if the hop's <paramref name="lifetime"/> ends first.</summary>
    public static long Expiry(VerifiedToken token, DateTimeOffset now, TimeSpan lifetime)
    {
        var seconds = (long)Math.Ceiling(Math.Clamp(lifetime.TotalSeconds, 1, TimeSpan.FromDays(3650).TotalSeconds));
        return Math.Min(token.Chain.Expires, now.ToUnixTimeSeconds() + seconds);
    }
}
