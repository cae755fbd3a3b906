using System.Collections.Immutable;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Wire;

namespace Mesh.Contracts.Tokens;

/// <summary>
/// Mints root tokens with an issuer key and appends narrowing blocks with the secret a token carries.
/// Both refuse what a verifier would refuse, so a user finds out here rather than at a node.
/// </summary>
public static class TokenIssuer
{
    /// <summary>A new root token signed by <paramref name="issuer"/>.</summary>
    public static Result<byte[]> Issue(SigningKey issuer, BlockClaims root, bool seal = false)
    {
        var chain = TokenChain.FromRoot(root);
        if (!chain.IsOk)
        {
            return chain.Error;
        }

        return Result<byte[]>.Ok(Append(issuer, issuer.PublicKey, [], root, seal));
    }

    /// <summary>
    /// The token with one more block that narrows it. The token's own signatures are checked first
    /// (against the root key it names, without deciding whether that root is trusted).
    /// </summary>
    public static Result<byte[]> Attenuate(ReadOnlyMemory<byte> token, BlockClaims narrowing, bool seal = false)
    {
        var decoded = TokenCodec.Decode(token);
        if (!decoded.IsOk)
        {
            return decoded.Error;
        }

        var envelope = decoded.Value;
        if (envelope.Version != TokenEnvelope.CurrentVersion)
        {
            return Result<byte[]>.Fail(ErrorCode.TokenVersion, $"token version {envelope.Version} is not supported");
        }

        if (envelope.NextSecret is null)
        {
            return Result<byte[]>.Fail(ErrorCode.TokenSealed, "the token is sealed: nothing can be appended to it");
        }

        if (!VerifyingKey.TryImport(envelope.RootKey, out var root))
        {
            return Result<byte[]>.Fail(ErrorCode.TokenSignature, "the token's root key is not a valid public key");
        }

        var verified = TokenVerifier.VerifyFromRoot(envelope, root!, int.MaxValue);
        return verified.IsOk ? Attenuate(verified.Value, narrowing, seal) : verified.Error;
    }

    /// <summary>
    /// A verified token with one more block that narrows it: only the narrowing is checked and one
    /// signature made, since the token's own signatures were checked when it was verified. This is
    /// what a node uses to hand a token on to the next function.
    /// </summary>
    public static Result<byte[]> Attenuate(VerifiedToken token, BlockClaims narrowing, bool seal = false)
    {
        var envelope = token.Envelope;
        if (envelope.NextSecret is null)
        {
            return Result<byte[]>.Fail(ErrorCode.TokenSealed, "the token is sealed: nothing can be appended to it");
        }

        var chain = token.Chain.Append(narrowing);
        if (!chain.IsOk)
        {
            return chain.Error;
        }

        using var secret = SigningKey.FromRawSeed(envelope.NextSecret);
        return Result<byte[]>.Ok(Append(secret, envelope.RootKey, envelope.Blocks, narrowing, seal));
    }

    /// <summary>
    /// Signs and appends a block with no semantic checks at all. Internal on purpose: it exists so
    /// tests can build what an attacker could (a widening block), which the verifier must refuse.
    /// </summary>
    internal static byte[] Append(SigningKey signer, byte[] rootKey, ImmutableArray<SignedBlock> blocks, BlockClaims claims, bool seal)
    {
        var payload = TokenCodec.EncodeClaims(claims);
        using var next = SigningKey.Generate();
        var previous = blocks.IsEmpty ? [] : blocks[^1].Signature;
        var signature = BlockSignature.SignBlock(signer, payload, next.PublicKey, previous);
        var block = new SignedBlock(payload, next.PublicKey, signature);
        var envelope = seal
            ? new TokenEnvelope(TokenEnvelope.CurrentVersion, rootKey, blocks.Add(block), null, BlockSignature.Seal(next, signature))
            : new TokenEnvelope(TokenEnvelope.CurrentVersion, rootKey, blocks.Add(block), next.ExportRawSeed(), null);
        return TokenCodec.Encode(envelope);
    }

    /// <summary>A fresh random token id.</summary>
    public static ImmutableArray<byte> NewTokenId() =>
        [.. System.Security.Cryptography.RandomNumberGenerator.GetBytes(BlockClaims.TokenIdLength)];
}
