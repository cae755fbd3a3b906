using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Sandbox;

namespace Mesh.Node.Chaining;

/// <summary>
/// The token a function's call to another function carries: the invocation's own token with one
/// more block, audience the target, expiring no later than the token does nor than the invocation's
/// time left, signed with the secret the token carries for its next block (its signatures were checked when
/// the call arrived, so only the narrowing is checked here). The node holds no key:
/// a sealed token cannot be handed on, and the verifier accepts the move only where the calling
/// function's grant allows calling the target.
/// </summary>
public static class HopToken
{
    public static Result<byte[]> For(InvocationContext context, string targetFunction, DateTimeOffset now)
    {
        var remaining = (long)Math.Ceiling(Math.Max(1, context.Remaining.TotalSeconds));
        var expires = Math.Min(context.Grant.Expires, now.ToUnixTimeSeconds() + remaining);
        if (context.Token is null)
        {
            return Result<byte[]>.Fail(ErrorCode.TokenMissing, "this invocation has no token to hand on");
        }

        return TokenIssuer.Attenuate(context.Token, new BlockClaims
        {
            IssuedAt = now.ToUnixTimeSeconds(),
            Expires = expires,
            Audience = targetFunction,
        });
    }
}
