using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;

namespace Mesh.Node.Tests;

/// <summary>Grants made the only way they exist: a token issued, then verified.</summary>
public static class TestGrants
{
    public static Grant For(string function, Sha256Digest module, CapabilitySet? capabilities = null, Limits? limits = null)
    {
        using var issuer = SigningKey.Generate();
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var token = TokenIssuer.Issue(issuer, new BlockClaims
        {
            TokenId = TokenIssuer.NewTokenId(),
            IssuedAt = now,
            Expires = now + 600,
            MaxDepth = 2,
            Functions = [new FunctionGrant(function, [module], capabilities ?? CapabilitySet.None, limits ?? Limits.None)],
        });
        var verifier = new TokenVerifier(new TokenVerifierOptions { TrustedRoots = [issuer.PublicKeyText] }, TimeProvider.System);
        var grant = verifier.Verify(token.Value!, function, module);
        Assert.True(grant.IsOk, grant.ToString());
        return grant.Value!;
    }
}
