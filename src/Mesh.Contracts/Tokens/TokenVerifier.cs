using NSec.Cryptography;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Wire;

namespace Mesh.Contracts.Tokens;

/// <summary>
/// Checks a token from untrusted bytes: size, strict decoding, version, a trusted root, every
/// block's Ed25519 signature in order, the proof (secret or seal), then the chain's narrowing.
/// Cheap checks come first so that garbage costs little; payloads are parsed only once signed.
/// </summary>
public sealed class TokenVerifier
{
    private readonly TokenVerifierOptions _options;
    private readonly TimeProvider _time;
    private readonly VerifyingKey[] _trustedRoots;

    public TokenVerifier(TokenVerifierOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _trustedRoots = [.. options.TrustedRoots.Select(text => VerifyingKey.TryParse(text, out var key, out var error)
            ? key!
            : throw new ArgumentException($"{nameof(TokenVerifierOptions.TrustedRoots)}: {error}", nameof(options)))];
    }

    public TokenVerifierOptions Options => _options;

    /// <summary>Everything that does not depend on the message: the result can be cached until expiry.</summary>
    public Result<VerifiedToken> Verify(ReadOnlyMemory<byte> token)
    {
        if (token.IsEmpty)
        {
            return Fail(ErrorCode.TokenMissing, "no token was presented");
        }

        if (token.Length > _options.MaxTokenBytes)
        {
            return Fail(ErrorCode.TokenTooLarge, $"the token is {token.Length} bytes, at most {_options.MaxTokenBytes} accepted");
        }

        var decoded = TokenCodec.Decode(token);
        if (!decoded.IsOk)
        {
            return decoded.Error;
        }

        var envelope = decoded.Value;
        if (envelope.Version != TokenEnvelope.CurrentVersion)
        {
            return Fail(ErrorCode.TokenVersion, $"token version {envelope.Version} is not supported (this node reads {TokenEnvelope.CurrentVersion})");
        }

        var root = Array.Find(_trustedRoots, k => k.Raw.AsSpan().SequenceEqual(envelope.RootKey));
        if (root is null)
        {
            return Fail(ErrorCode.TokenUntrustedIssuer, $"issuer {DescribeKey(envelope.RootKey)} is not a trusted root");
        }

        return VerifyFromRoot(envelope, root, _options.MaxDepth);
    }

    /// <summary>Verify, then authorize for one function (and optionally one module) at the current time.</summary>
    public Result<Grant> Verify(ReadOnlyMemory<byte> token, string function, Sha256Digest? module)
    {
        var verified = Verify(token);
        return verified.IsOk ? Authorize(verified.Value, function, module) : verified.Error;
    }

    public Result<Grant> Authorize(VerifiedToken token, string function, Sha256Digest? module) =>
        token.Authorize(function, module, _time.GetUtcNow(), _options.ClockSkew);

    /// <summary>
    /// The signature, proof and chain checks from a given root key, with no trust decision: what a
    /// holder uses to check a token before attenuating it, and what the node uses once the root is trusted.
    /// </summary>
    public static Result<VerifiedToken> VerifyFromRoot(TokenEnvelope envelope, VerifyingKey root, int maxDepth)
    {
        if (envelope.Blocks.IsEmpty)
        {
            return Fail(ErrorCode.TokenMalformed, "the token has no blocks");
        }

        if (envelope.Blocks.Length - 1 > maxDepth)
        {
            return Fail(ErrorCode.TokenDepth, $"the token has {envelope.Blocks.Length - 1} blocks after the root, this node accepts at most {maxDepth}");
        }

        var signer = root;
        ReadOnlySpan<byte> previous = [];
        for (var i = 0; i < envelope.Blocks.Length; i++)
        {
            var block = envelope.Blocks[i];
            if (!BlockSignature.VerifyBlock(signer, block, previous))
            {
                return Fail(ErrorCode.TokenSignature, $"block {i} has a bad signature");
            }

            if (!VerifyingKey.TryImport(block.NextKey, out var next))
            {
                return Fail(ErrorCode.TokenSignature, $"block {i} names an invalid next key");
            }

            signer = next!;
            previous = block.Signature;
        }

        if (!ProofHolds(envelope, signer, previous))
        {
            return Fail(ErrorCode.TokenSignature, envelope.IsSealed ? "the seal does not verify" : "the token's secret does not match its last block");
        }

        var chain = default(Result<TokenChain>);
        for (var i = 0; i < envelope.Blocks.Length; i++)
        {
            var claims = TokenCodec.DecodeClaims(envelope.Blocks[i].Payload);
            if (!claims.IsOk)
            {
                return claims.Error;
            }

            chain = i == 0 ? TokenChain.FromRoot(claims.Value) : chain.Value!.Append(claims.Value);
            if (!chain.IsOk)
            {
                return chain.Error;
            }
        }

        return Result<VerifiedToken>.Ok(new VerifiedToken(chain.Value!, envelope));
    }

    // The proof shows possession of the last block's next key: without it, dropping trailing blocks
    // (and with them their restrictions) would still leave a valid-looking chain.
    private static bool ProofHolds(TokenEnvelope envelope, VerifyingKey lastNextKey, ReadOnlySpan<byte> lastSignature)
    {
        if (envelope.Seal is { } seal)
        {
            return BlockSignature.VerifySeal(lastNextKey, lastSignature, seal);
        }

        using var secret = Key.Import(SignatureAlgorithm.Ed25519, envelope.NextSecret, KeyBlobFormat.RawPrivateKey);
        return secret.PublicKey.Export(KeyBlobFormat.RawPublicKey).AsSpan().SequenceEqual(lastNextKey.Raw);
    }

    private static string DescribeKey(byte[] raw) => raw.Length == KeyText.RawKeyLength ? KeyText.EncodePublic(raw) : "(invalid key)";

    private static Result<VerifiedToken> Fail(ErrorCode code, string message) => Result<VerifiedToken>.Fail(code, message);
}
