using System.Buffers;
using System.Collections.Immutable;
using MessagePack;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Rules;
using Mesh.Contracts.Wire;

namespace Mesh.Contracts.Tests;

/// <summary>What an attacker would send. Every case must be refused, with the code that says why.</summary>
public sealed class HostileTokenCorpusTests : IDisposable
{
    private static readonly ErrorCode[] TamperCodes =
        [ErrorCode.TokenMalformed, ErrorCode.TokenSignature, ErrorCode.TokenUntrustedIssuer, ErrorCode.TokenVersion, ErrorCode.TokenDepth];

    private readonly TokenFixture _f = new();

    public void Dispose() => _f.Dispose();

    private ErrorCode Verify(byte[] token) => _f.Verifier.Verify(token, "payments", null).Error.Code;

    private byte[] ThreeBlockToken(out byte[] oneBlock, out byte[] twoBlocks)
    {
        oneBlock = _f.Issue();
        twoBlocks = TokenFixture.Ok(TokenIssuer.Attenuate(oneBlock, new BlockClaims { Expires = _f.Now + 1800 }));
        return TokenFixture.Ok(TokenIssuer.Attenuate(twoBlocks, new BlockClaims { Functions = TokenFixture.Only(TokenFixture.Payments with { Modules = [TokenFixture.ModuleA] }) }));
    }

    [Fact]
    public void EverySingleBitFlip_IsRefused()
    {
        var token = ThreeBlockToken(out _, out _);
        Assert.Equal(ErrorCode.None, Verify(token));

        for (var bit = 0; bit < token.Length * 8; bit++)
        {
            var flipped = (byte[])token.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            var code = Verify(flipped);
            Assert.True(TamperCodes.Contains(code), $"bit {bit} (byte {bit / 8}) gave {code.ToWire()}");
        }
    }

    [Fact]
    public void EveryTruncation_IsRefused()
    {
        var token = ThreeBlockToken(out _, out _);
        Assert.Equal(ErrorCode.TokenMissing, Verify([]));
        for (var length = 1; length < token.Length; length++)
        {
            Assert.Equal(ErrorCode.TokenMalformed, Verify(token[..length]));
        }
    }

    [Fact]
    public void TextForm_Truncated_OrWithForeignCharacters_IsRefused()
    {
        var text = TokenCodec.ToText(ThreeBlockToken(out _, out _));
        foreach (var bad in new[] { text[..^1], text[..^2], text + "=", "+" + text[1..], text[..10] + " " + text[10..] })
        {
            var bytes = TokenCodec.FromText(bad, 8192);
            Assert.True(!bytes.IsOk || Verify(bytes.Value) != ErrorCode.None, $"accepted: {bad}");
        }
    }

    [Fact]
    public void DroppingTheLastBlock_WithItsSecretKept_IsRefused()
    {
        var token = ThreeBlockToken(out _, out _);
        var e = Envelope(token);
        Assert.Equal(ErrorCode.TokenSignature, Verify(Encode(e with { Blocks = e.Blocks.RemoveAt(2) })));
    }

    [Fact]
    public void DroppingTheLastBlock_WithThePreviousSecret_NeedsASecretTheHolderDoesNotHave()
    {
        // The holder of the three-block token cannot produce the two-block token's secret; only
        // someone who already held the two-block token could, and then it is a token they had anyway.
        var token = ThreeBlockToken(out _, out var twoBlocks);
        var e = Envelope(token);
        var truncated = e with { Blocks = e.Blocks.RemoveAt(2), NextSecret = Envelope(token).NextSecret };
        Assert.Equal(ErrorCode.TokenSignature, Verify(Encode(truncated)));
        Assert.Equal(ErrorCode.None, Verify(twoBlocks));
    }

    [Theory]
    [InlineData("drop-root")]
    [InlineData("drop-middle")]
    [InlineData("duplicate-middle")]
    [InlineData("swap-middle-last")]
    [InlineData("reverse")]
    public void BlockGames_AreRefused(string game)
    {
        var e = Envelope(ThreeBlockToken(out _, out _));
        var b = e.Blocks;
        ImmutableArray<SignedBlock> played = game switch
        {
            "drop-root" => b.RemoveAt(0),
            "drop-middle" => b.RemoveAt(1),
            "duplicate-middle" => b.Insert(1, b[1]),
            "swap-middle-last" => [b[0], b[2], b[1]],
            _ => [b[2], b[1], b[0]],
        };
        Assert.Equal(ErrorCode.TokenSignature, Verify(Encode(e with { Blocks = played })));
    }

    [Fact]
    public void GraftingABlockFromAnotherToken_OfTheSameIssuer_IsRefused()
    {
        var mine = Envelope(ThreeBlockToken(out _, out _));
        var theirs = Envelope(ThreeBlockToken(out _, out _));

        var graftedRoot = mine with { Blocks = mine.Blocks.SetItem(0, theirs.Blocks[0]) };
        var graftedTail = mine with { Blocks = mine.Blocks.SetItem(2, theirs.Blocks[2]), NextSecret = theirs.NextSecret };
        Assert.Equal(ErrorCode.TokenSignature, Verify(Encode(graftedRoot)));
        Assert.Equal(ErrorCode.TokenSignature, Verify(Encode(graftedTail)));
    }

    [Fact]
    public void SwappingTheRootKey_ForAnotherTrustedIssuer_IsRefused()
    {
        using var second = SigningKey.Generate();
        var verifier = new TokenVerifier(new TokenVerifierOptions { TrustedRoots = [_f.Issuer.PublicKeyText, second.PublicKeyText] }, _f.Clock);
        var e = Envelope(_f.Issue());
        Assert.Equal(ErrorCode.TokenSignature, verifier.Verify(Encode(e with { RootKey = second.PublicKey })).Error.Code);
    }

    [Fact]
    public void StrippingTheSeal_OrForgingOne_IsRefused()
    {
        var e = Envelope(_f.Issue(seal: true));
        using var random = SigningKey.Generate();
        Assert.Equal(ErrorCode.TokenSignature, Verify(Encode(e with { Seal = null, NextSecret = random.ExportRawSeed() })));
        Assert.Equal(ErrorCode.TokenSignature, Verify(Encode(e with { Seal = new byte[64] })));
        Assert.Equal(ErrorCode.TokenMalformed, Verify(Encode(e with { Seal = null })));
    }

    [Fact]
    public void UnsupportedVersion_IsRefusedWithVersion()
    {
        var e = Envelope(_f.Issue());
        Assert.Equal(ErrorCode.TokenVersion, Verify(Encode(e with { Version = 2 })));
    }

    public static TheoryData<string> Widenings => new()
    {
        "another-host", "wildcard-host", "bare-domain-from-wildcard", "another-port", "more-methods", "shorter-path",
        "another-subject", "wider-subject", "another-kv-prefix", "more-kv-ops", "log-when-not-granted",
        "longer-expiry", "earlier-not-before", "bigger-limit", "dropped-limit", "another-module", "another-function",
        "deeper", "moved-audience", "added-next-step",
    };

    [Theory]
    [MemberData(nameof(Widenings))]
    public void AttenuationThatWidens_IsRefusedAsWidened(string widening)
    {
        var narrow = TokenFixture.Payments with
        {
            Capabilities = TokenFixture.Payments.Capabilities with
            {
                Log = false,
                Http = [new HttpRule("https", "*.stripe.com", 443, HttpMethods.Get, "/v1/charges")],
                Kv = [new KvRule("orders", "tenant-1.eu.", KvOperations.Get)],
            },
        };
        var root = _f.RootClaims(narrow, narrow with { Function = "refunds" }) with { Audience = null };
        var token = _f.Issue(root);
        var caps = narrow.Capabilities;
        BlockClaims Caps(CapabilitySet c) => new() { Functions = TokenFixture.Only(narrow with { Capabilities = c }) };

        var block = widening switch
        {
            "another-host" => Caps(caps with { Http = [new HttpRule("https", "evil.com", 443, HttpMethods.Get, "/v1/charges")] }),
            "wildcard-host" => Caps(caps with { Http = [new HttpRule("https", "*.com", 443, HttpMethods.Get, "/v1/charges")] }),
            "bare-domain-from-wildcard" => Caps(caps with { Http = [new HttpRule("https", "stripe.com", 443, HttpMethods.Get, "/v1/charges")] }),
            "another-port" => Caps(caps with { Http = [new HttpRule("https", "api.stripe.com", 8443, HttpMethods.Get, "/v1/charges")] }),
            "more-methods" => Caps(caps with { Http = [new HttpRule("https", "api.stripe.com", 443, HttpMethods.Get | HttpMethods.Delete, "/v1/charges")] }),
            "shorter-path" => Caps(caps with { Http = [new HttpRule("https", "api.stripe.com", 443, HttpMethods.Get, "/v1/")] }),
            "another-subject" => Caps(caps with { Publish = ["events.refunds.>"] }),
            "wider-subject" => Caps(caps with { Publish = ["events.>"] }),
            "another-kv-prefix" => Caps(caps with { Kv = [new KvRule("orders", "tenant-2.", KvOperations.Get)] }),
            "more-kv-ops" => Caps(caps with { Kv = [new KvRule("orders", "tenant-1.eu.", KvOperations.Get | KvOperations.Delete)] }),
            "log-when-not-granted" => Caps(caps with { Log = true }),
            "longer-expiry" => new BlockClaims { Expires = root.Expires + 1 },
            "earlier-not-before" => new BlockClaims { NotBefore = root.IssuedAt - 1 },
            "bigger-limit" => new BlockClaims { Functions = TokenFixture.Only(narrow with { Limits = narrow.Limits with { Fuel = narrow.Limits.Fuel + 1 } }) },
            "dropped-limit" => new BlockClaims { Functions = TokenFixture.Only(narrow with { Limits = narrow.Limits with { MemoryBytes = null } }) },
            "another-module" => new BlockClaims { Functions = TokenFixture.Only(narrow with { Modules = [Sha256Digest.Of("evil"u8)] }) },
            "another-function" => new BlockClaims { Functions = TokenFixture.Only(narrow with { Function = "admin" }) },
            "deeper" => new BlockClaims { MaxDepth = root.MaxDepth + 1 },
            "moved-audience" => new BlockClaims { Audience = "refunds" },
            "added-next-step" => new BlockClaims { Functions = [narrow with { Then = ["refunds"] }, narrow with { Function = "refunds" }] },
            _ => throw new ArgumentOutOfRangeException(nameof(widening)),
        };

        if (widening == "moved-audience")
        {
            // Audience first narrowed to payments, then moved: the move is the widening.
            token = TokenFixture.Ok(TokenIssuer.Attenuate(token, new BlockClaims { Audience = "payments" }));
        }

        Assert.Equal(ErrorCode.TokenWidened, Verify(TokenFixture.AppendUnchecked(token, block)));
        Assert.Equal(ErrorCode.TokenWidened, TokenIssuer.Attenuate(token, block).Error.Code);
    }

    [Fact]
    public void ANonRootBlockCarryingATokenId_IsMalformed()
    {
        var token = TokenFixture.AppendUnchecked(_f.Issue(), new BlockClaims { TokenId = TokenIssuer.NewTokenId() });
        Assert.Equal(ErrorCode.TokenMalformed, Verify(token));
    }

    [Fact]
    public void MoreBlocksThanTheTokensMaxDepth_IsRefusedWithDepth()
    {
        var token = _f.Issue(_f.RootClaims() with { MaxDepth = 1 });
        var one = TokenFixture.Ok(TokenIssuer.Attenuate(token, new BlockClaims { Expires = _f.Now + 100 }));
        Assert.Equal(ErrorCode.None, Verify(one));
        Assert.Equal(ErrorCode.TokenDepth, Verify(TokenFixture.AppendUnchecked(one, new BlockClaims { Expires = _f.Now + 50 })));
    }

    [Fact]
    public void OversizedToken_IsRefusedBeforeParsing()
    {
        Assert.Equal(ErrorCode.TokenTooLarge, Verify(new byte[TokenVerifierOptions.DefaultMaxTokenBytes + 1]));
        var hugeText = new string('A', 20_000);
        Assert.Equal(ErrorCode.TokenTooLarge, TokenCodec.FromText(hugeText, TokenVerifierOptions.DefaultMaxTokenBytes).Error.Code);
    }

    [Fact]
    public void ATokenWithManyLegitimateBlocks_IsRefusedBySizeOrDepth()
    {
        var token = _f.Issue(_f.RootClaims() with { MaxDepth = 1000 });
        for (var i = 0; i < 40; i++)
        {
            token = TokenFixture.AppendUnchecked(token, new BlockClaims { Functions = TokenFixture.Only(TokenFixture.Payments) });
        }

        Assert.Contains(Verify(token), new[] { ErrorCode.TokenTooLarge, ErrorCode.TokenDepth });
    }

    public static TheoryData<string> MalformedEnvelopes => new()
    {
        "deep-nesting", "extension-type", "map-with-duplicate-keys", "version-as-string", "root-key-as-string",
        "blocks-as-map", "block-with-4-fields", "short-signature", "trailing-bytes", "nil", "integer", "both-secret-and-seal",
    };

    [Theory]
    [MemberData(nameof(MalformedEnvelopes))]
    public void MalformedEnvelope_IsMalformed(string shape)
    {
        var e = Envelope(_f.Issue());
        var bytes = Write((ref MessagePackWriter w) =>
        {
            switch (shape)
            {
                case "deep-nesting":
                    for (var i = 0; i < 3_000; i++)
                    {
                        w.WriteArrayHeader(1);
                    }

                    w.WriteNil();
                    break;
                case "extension-type":
                    w.WriteArrayHeader(5);
                    w.Write(1);
                    w.WriteExtensionFormat(new ExtensionResult(42, new ReadOnlySequence<byte>(e.RootKey)));
                    RestAfterRootKey(ref w, e);
                    break;
                case "map-with-duplicate-keys":
                    w.WriteMapHeader(2);
                    w.Write(0);
                    w.Write(1);
                    w.Write(0);
                    w.Write(1);
                    break;
                case "version-as-string":
                    w.WriteArrayHeader(5);
                    w.Write("1");
                    w.Write(e.RootKey);
                    RestAfterRootKey(ref w, e);
                    break;
                case "root-key-as-string":
                    w.WriteArrayHeader(5);
                    w.Write(1);
                    w.Write(Convert.ToBase64String(e.RootKey));
                    RestAfterRootKey(ref w, e);
                    break;
                case "blocks-as-map":
                    w.WriteArrayHeader(5);
                    w.Write(1);
                    w.Write(e.RootKey);
                    w.WriteMapHeader(0);
                    w.Write(e.NextSecret);
                    w.WriteNil();
                    break;
                case "block-with-4-fields":
                    w.WriteArrayHeader(5);
                    w.Write(1);
                    w.Write(e.RootKey);
                    w.WriteArrayHeader(1);
                    w.WriteArrayHeader(4);
                    w.Write(e.Blocks[0].Payload);
                    w.Write(e.Blocks[0].NextKey);
                    w.Write(e.Blocks[0].Signature);
                    w.Write(e.Blocks[0].Signature);
                    w.Write(e.NextSecret);
                    w.WriteNil();
                    break;
                case "short-signature":
                    w.WriteArrayHeader(5);
                    w.Write(1);
                    w.Write(e.RootKey);
                    w.WriteArrayHeader(1);
                    w.WriteArrayHeader(3);
                    w.Write(e.Blocks[0].Payload);
                    w.Write(e.Blocks[0].NextKey);
                    w.Write(e.Blocks[0].Signature.AsSpan(0, 63));
                    w.Write(e.NextSecret);
                    w.WriteNil();
                    break;
                case "trailing-bytes":
                    w.WriteRaw(TokenCodec.Encode(e));
                    w.WriteNil();
                    break;
                case "nil":
                    w.WriteNil();
                    break;
                case "integer":
                    w.Write(7);
                    break;
                case "both-secret-and-seal":
                    w.WriteArrayHeader(5);
                    w.Write(1);
                    w.Write(e.RootKey);
                    WriteBlocks(ref w, e);
                    w.Write(e.NextSecret);
                    w.Write(new byte[64]);
                    break;
            }
        });

        Assert.Equal(ErrorCode.TokenMalformed, Verify(bytes));
    }

    public static TheoryData<string> MalformedPayloads => new()
    {
        "not-msgpack", "deep-nesting", "extension-type", "map-with-duplicate-keys", "wrong-arity", "expiry-as-string",
        "function-as-int", "negative-port", "unknown-method-bits", "uppercase-host", "bad-subject", "no-modules",
        "duplicate-function", "trailing-bytes", "bad-function-name",
    };

    /// <summary>Payloads signed by the trusted issuer but malformed: the signature is fine, the content is not.</summary>
    [Theory]
    [MemberData(nameof(MalformedPayloads))]
    public void SignedButMalformedPayload_IsMalformed(string shape)
    {
        var good = TokenCodec.EncodeClaims(_f.RootClaims());
        var grant = TokenFixture.Payments;
        byte[] Claims(FunctionGrant g) => TokenCodec.EncodeClaims(_f.RootClaims(g));
        var payload = shape switch
        {
            "not-msgpack" => "{\"functions\":[]}"u8.ToArray(),
            "deep-nesting" => Write((ref MessagePackWriter w) =>
            {
                for (var i = 0; i < 5000; i++)
                {
                    w.WriteArrayHeader(1);
                }

                w.WriteNil();
            }),
            "extension-type" => Write((ref MessagePackWriter w) =>
            {
                w.WriteArrayHeader(7);
                w.WriteExtensionFormat(new ExtensionResult(1, new ReadOnlySequence<byte>(new byte[16])));
                for (var i = 0; i < 6; i++)
                {
                    w.WriteNil();
                }
            }),
            "map-with-duplicate-keys" => Write((ref MessagePackWriter w) =>
            {
                w.WriteMapHeader(2);
                w.Write("functions");
                w.WriteNil();
                w.Write("functions");
                w.WriteNil();
            }),
            "wrong-arity" => Write((ref MessagePackWriter w) =>
            {
                w.WriteArrayHeader(8);
                w.WriteRaw(good.AsSpan(1));
                w.WriteNil();
            }),
            "expiry-as-string" => Write((ref MessagePackWriter w) =>
            {
                w.WriteArrayHeader(7);
                w.Write(_f.RootClaims().TokenId.AsSpan());
                w.Write(_f.Now);
                w.WriteNil();
                w.Write("tomorrow");
                w.Write(4);
                w.WriteNil();
                w.WriteArrayHeader(0);
            }),
            "function-as-int" => Write((ref MessagePackWriter w) =>
            {
                w.WriteArrayHeader(7);
                w.Write(_f.RootClaims().TokenId.AsSpan());
                w.Write(_f.Now);
                w.WriteNil();
                w.Write(_f.Now + 60);
                w.Write(4);
                w.WriteNil();
                w.WriteArrayHeader(1);
                w.Write(42);
            }),
            "negative-port" => Claims(grant with { Capabilities = grant.Capabilities with { Http = [grant.Capabilities.Http[0] with { Port = -1 }] } }),
            "unknown-method-bits" => Claims(grant with { Capabilities = grant.Capabilities with { Http = [grant.Capabilities.Http[0] with { Methods = (HttpMethods)1024 }] } }),
            "uppercase-host" => Claims(grant with { Capabilities = grant.Capabilities with { Http = [grant.Capabilities.Http[0] with { Host = "API.stripe.com" }] } }),
            "bad-subject" => Claims(grant with { Capabilities = grant.Capabilities with { Publish = ["events.>.x"] } }),
            "no-modules" => Claims(grant with { Modules = [] }),
            "duplicate-function" => TokenCodec.EncodeClaims(_f.RootClaims(grant, grant)),
            "trailing-bytes" => [.. good, 0xc0],
            "bad-function-name" => Claims(grant with { Function = "Payments.*" }),
            _ => throw new ArgumentOutOfRangeException(nameof(shape)),
        };

        Assert.Equal(ErrorCode.TokenMalformed, Verify(SignRaw(payload)));
    }

    private byte[] SignRaw(byte[] payload)
    {
        using var next = SigningKey.Generate();
        var signature = BlockSignature.SignBlock(_f.Issuer, payload, next.PublicKey, []);
        return Encode(new TokenEnvelope(1, _f.Issuer.PublicKey, [new SignedBlock(payload, next.PublicKey, signature)], next.ExportRawSeed(), null));
    }

    private static TokenEnvelope Envelope(byte[] token) => TokenFixture.Ok(TokenCodec.Decode(token));

    private static byte[] Encode(TokenEnvelope envelope) => TokenCodec.Encode(envelope);

    private delegate void WriteAction(ref MessagePackWriter writer);

    private static byte[] Write(WriteAction write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        write(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteBlocks(ref MessagePackWriter w, TokenEnvelope e)
    {
        w.WriteArrayHeader(e.Blocks.Length);
        foreach (var block in e.Blocks)
        {
            w.WriteArrayHeader(3);
            w.Write(block.Payload);
            w.Write(block.NextKey);
            w.Write(block.Signature);
        }
    }

    private static void RestAfterRootKey(ref MessagePackWriter w, TokenEnvelope e)
    {
        WriteBlocks(ref w, e);
        w.Write(e.NextSecret);
        w.WriteNil();
    }
}
