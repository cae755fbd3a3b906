using System.Collections.Immutable;
using Microsoft.Extensions.Time.Testing;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Rules;

namespace Mesh.Contracts.Tests;

/// <summary>A trusted issuer, a fake clock and a verifier that trusts only that issuer.</summary>
public sealed class TokenFixture : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    public static readonly Sha256Digest ModuleA = Sha256Digest.Of("module a"u8);
    public static readonly Sha256Digest ModuleB = Sha256Digest.Of("module b"u8);

    public TokenFixture()
    {
        Issuer = SigningKey.Generate();
        Clock = new FakeTimeProvider(Start);
        Verifier = new TokenVerifier(new TokenVerifierOptions { TrustedRoots = [Issuer.PublicKeyText] }, Clock);
    }

    public SigningKey Issuer { get; }

    public FakeTimeProvider Clock { get; }

    public TokenVerifier Verifier { get; }

    public long Now => Clock.GetUtcNow().ToUnixTimeSeconds();

    public static FunctionGrant Payments => new(
        "payments",
        [ModuleA, ModuleB],
        new CapabilitySet(
            Log: true,
            Http: [new HttpRule("https", "api.stripe.com", 443, HttpMethods.Get | HttpMethods.Post, "/v1/")],
            Kv: [new KvRule("orders", "tenant-1.", KvOperations.Get | KvOperations.Put)],
            Publish: ["events.payments.>"],
            Request: ["mesh.fn.fraud"]),
        new Limits(Fuel: 1_000_000, MemoryBytes: 16 << 20, WallTimeMs: 2000, OutputBytes: 65536, HostCalls: 100));

    public BlockClaims RootClaims(params FunctionGrant[] functions) => new()
    {
        TokenId = TokenIssuer.NewTokenId(),
        IssuedAt = Now,
        Expires = Now + 3600,
        MaxDepth = 4,
        Functions = functions.Length == 0 ? [Payments] : [.. functions],
    };

    public byte[] Issue(BlockClaims? root = null, bool seal = false) => Ok(TokenIssuer.Issue(Issuer, root ?? RootClaims(), seal));

    /// <summary>Appends a block with no checks, as an attacker holding the token could.</summary>
    public static byte[] AppendUnchecked(byte[] token, BlockClaims claims, bool seal = false)
    {
        var envelope = Ok(TokenCodec.Decode(token));
        using var secret = SigningKey.FromRawSeed(envelope.NextSecret!);
        return TokenIssuer.Append(secret, envelope.RootKey, envelope.Blocks, claims, seal);
    }

    public static T Ok<T>(Wire.Result<T> result)
    {
        Assert.True(result.IsOk, result.ToString());
        return result.Value!;
    }

    public static ImmutableArray<FunctionGrant> Only(FunctionGrant grant) => [grant];

    public void Dispose() => Issuer.Dispose();
}
