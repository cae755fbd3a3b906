using BenchmarkDotNet.Attributes;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Rules;
using Mesh.Node.Tokens;
using NSec.Cryptography;

namespace Mesh.Bench;

/// <summary>
/// The cost of a token on a node. Baseline: one bare Ed25519 verification, the least any signed
/// token could cost; the cached path is what a node pays per message in steady state.
/// </summary>
[MemoryDiagnoser]
public class TokenBenchmarks
{
    private static readonly Sha256Digest Module = Sha256Digest.Of("bench module"u8);
    private SigningKey _issuer = null!;
    private TokenVerifier _verifier = null!;
    private VerifiedTokenCache _cache = null!;
    private BlockClaims _claims = null!;
    private byte[] _root = null!;
    private byte[] _attenuated = null!;
    private TokenEnvelope _envelope = null!;
    private VerifiedToken _verified = null!;
    private PublicKey _rawKey = null!;
    private byte[] _rawMessage = null!;
    private byte[] _rawSignature = null!;

    [GlobalSetup]
    public void Setup()
    {
        _issuer = SigningKey.Generate();
        _verifier = new TokenVerifier(new TokenVerifierOptions { TrustedRoots = [_issuer.PublicKeyText] }, TimeProvider.System);
        _cache = new VerifiedTokenCache(_verifier, new VerifiedTokenCacheOptions(), TimeProvider.System);
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        _claims = new BlockClaims
        {
            TokenId = TokenIssuer.NewTokenId(),
            IssuedAt = now,
            Expires = now + 86_400,
            MaxDepth = 4,
            Functions =
            [
                new FunctionGrant(
                    "payments",
                    [Module],
                    new CapabilitySet(
                        true,
                        [new HttpRule("https", "api.stripe.com", 443, HttpMethods.Get | HttpMethods.Post, "/v1/")],
                        [new KvRule("orders", "tenant-1.", KvOperations.Get | KvOperations.Put)],
                        ["events.payments.>"],
                        ["mesh.fn.fraud"]),
                    new Limits(Fuel: 10_000_000, MemoryBytes: 16 << 20, WallTimeMs: 2_000, OutputBytes: 1 << 20)),
            ],
        };
        _root = TokenIssuer.Issue(_issuer, _claims).Value!;
        var one = TokenIssuer.Attenuate(_root, new BlockClaims { Expires = now + 3_600 }).Value!;
        _attenuated = TokenIssuer.Attenuate(one, new BlockClaims { Audience = "payments" }).Value!;
        _envelope = TokenCodec.Decode(_root).Value!;
        _verified = _verifier.Verify(_root).Value!;

        _rawKey = PublicKey.Import(SignatureAlgorithm.Ed25519, _issuer.PublicKey, KeyBlobFormat.RawPublicKey);
        _rawMessage = _envelope.Blocks[0].Payload;
        _rawSignature = new byte[64];
        _issuer.Sign(_rawMessage, _rawSignature);

        if (!_cache.Authorize(_root, "payments", Module).IsOk || !_verifier.Verify(_attenuated, "payments", Module).IsOk)
        {
            throw new InvalidOperationException("benchmark tokens do not verify");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _issuer.Dispose();

    [Benchmark(Baseline = true, Description = "Ed25519 verify (bare, baseline)")]
    public bool Ed25519Verify() => SignatureAlgorithm.Ed25519.Verify(_rawKey, _rawMessage, _rawSignature);

    [Benchmark(Description = "Verify, uncached, 1 block")]
    public bool VerifyUncached() => _verifier.Verify(_root, "payments", Module).IsOk;

    [Benchmark(Description = "Verify, uncached, 3 blocks")]
    public bool VerifyUncachedThreeBlocks() => _verifier.Verify(_attenuated, "payments", Module).IsOk;

    [Benchmark(Description = "Verify, cached (node hot path)")]
    public bool VerifyCached() => _cache.Authorize(_root, "payments", Module).IsOk;

    [Benchmark(Description = "Sign (issue a root token)")]
    public int Sign() => TokenIssuer.Issue(_issuer, _claims).Value!.Length;

    [Benchmark(Description = "Attenuate token bytes (checks signatures first)")]
    public int Attenuate() => TokenIssuer.Attenuate(_root, new BlockClaims { Audience = "payments" }).Value!.Length;

    [Benchmark(Description = "Hand on a verified token (node, per hop)")]
    public int HandOn() => TokenIssuer.Attenuate(_verified, new BlockClaims { Audience = "payments" }).Value!.Length;

    [Benchmark(Description = "Encode envelope")]
    public int Encode() => TokenCodec.Encode(_envelope).Length;

    [Benchmark(Description = "Decode envelope and claims")]
    public bool Decode()
    {
        var envelope = TokenCodec.Decode(_root);
        return envelope.IsOk && TokenCodec.DecodeClaims(envelope.Value.Blocks[0].Payload).IsOk;
    }
}
