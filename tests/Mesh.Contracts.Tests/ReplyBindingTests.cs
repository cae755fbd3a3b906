using MessagePack;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Rules;
using Mesh.Contracts.Wire;

namespace Mesh.Contracts.Tests;

/// <summary>
/// Issue 26 §4: a token may bind the reply prefix its answers go to. The binding travels as an
/// eighth claims field only when set, may be lengthened by a later block and never dropped or
/// changed, and is read token by token (<c>_INBOX.alice</c> is not <c>_INBOX.alicex</c>).
/// </summary>
public sealed class ReplyBindingTests : IDisposable
{
    private readonly TokenFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Theory]
    [InlineData("_INBOX.alice", "_INBOX.alice", true)]
    [InlineData("_INBOX.alice", "_INBOX.alice.x1.7", true)]
    [InlineData("_INBOX.alice", "_INBOX.alicex.1", false)]
    [InlineData("_INBOX.alice", "_INBOX.bob.1", false)]
    [InlineData("_INBOX.alice", "_INBOX", false)]
    [InlineData("_INBOX.alice.x", "_INBOX.alice.y", false)]
    public void Covers_IsTokenByToken(string prefix, string subject, bool covered) =>
        Assert.Equal(covered, ReplyPrefix.Covers(prefix, subject));

    [Fact]
    public void ATokenWithoutABinding_EncodesAsBefore_AndAllowsAnyReply()
    {
        var claims = _f.RootClaims();
        var bytes = TokenCodec.EncodeClaims(claims);
        Assert.Equal(7, new MessagePackReader(bytes).ReadArrayHeader());

        var verified = TokenFixture.Ok(_f.Verifier.Verify(_f.Issue(claims)));
        Assert.Null(verified.ReplyPrefix);
        Assert.True(verified.AllowsReply("_INBOX.anyone.1"));
        Assert.True(verified.AllowsReply(null));
    }

    [Fact]
    public void ABoundToken_RoundTrips_AndAllowsOnlyRepliesUnderItsPrefix()
    {
        var claims = _f.RootClaims() with { ReplyPrefix = "_INBOX.alice" };
        Assert.Equal(8, new MessagePackReader(TokenCodec.EncodeClaims(claims)).ReadArrayHeader());

        var verified = TokenFixture.Ok(_f.Verifier.Verify(_f.Issue(claims)));
        Assert.Equal("_INBOX.alice", verified.ReplyPrefix);
        Assert.True(verified.AllowsReply("_INBOX.alice.abc.1"));
        Assert.False(verified.AllowsReply("_INBOX.bob.abc.1"));
        Assert.False(verified.AllowsReply("_INBOX.alicex.1"));
        Assert.True(verified.AllowsReply(null));
    }

    [Fact]
    public void ALaterBlock_MayBindOrLengthen_NeverChange()
    {
        var unbound = _f.Issue();
        var bound = TokenFixture.Ok(TokenIssuer.Attenuate(unbound, new BlockClaims { ReplyPrefix = "_INBOX.alice" }));
        Assert.Equal("_INBOX.alice", TokenFixture.Ok(_f.Verifier.Verify(bound)).ReplyPrefix);

        var longer = TokenFixture.Ok(TokenIssuer.Attenuate(bound, new BlockClaims { ReplyPrefix = "_INBOX.alice.web" }));
        Assert.Equal("_INBOX.alice.web", TokenFixture.Ok(_f.Verifier.Verify(longer)).ReplyPrefix);

        // A block that says nothing keeps the binding: it cannot be dropped.
        var silent = TokenFixture.Ok(TokenIssuer.Attenuate(longer, new BlockClaims { MaxDepth = 3 }));
        Assert.Equal("_INBOX.alice.web", TokenFixture.Ok(_f.Verifier.Verify(silent)).ReplyPrefix);

        // Moved elsewhere, shortened, or a look-alike: widened, whoever appends it.
        foreach (var other in new[] { "_INBOX.bob", "_INBOX", "_INBOX.alice", "_INBOX.alice.webx" })
        {
            var widened = TokenFixture.AppendUnchecked(longer, new BlockClaims { ReplyPrefix = other });
            Assert.Equal(ErrorCode.TokenWidened, _f.Verifier.Verify(widened).Error.Code);
        }
    }

    [Theory]
    [InlineData("_INBOX.*")]
    [InlineData("_INBOX.>")]
    [InlineData("_INBOX..alice")]
    [InlineData("_INBOX.alice.")]
    [InlineData("_INBOX.al ice")]
    [InlineData("_INBOX.al\nice")]
    [InlineData("")]
    public void AReplyPrefixThatIsNotALiteralSubject_IsMalformed(string prefix)
    {
        Assert.Equal(ErrorCode.TokenMalformed, TokenIssuer.Issue(_f.Issuer, _f.RootClaims() with { ReplyPrefix = prefix }).Error.Code);
        var forged = TokenFixture.AppendUnchecked(_f.Issue(), new BlockClaims { ReplyPrefix = prefix });
        Assert.Equal(ErrorCode.TokenMalformed, _f.Verifier.Verify(forged).Error.Code);
    }

    [Fact]
    public void AnEighthFieldThatIsNil_IsMalformed_SoABlockHasOneEncoding()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        var seven = TokenCodec.EncodeClaims(_f.RootClaims());
        Assert.Equal(0x97, seven[0]);
        writer.WriteArrayHeader(8);
        writer.WriteRaw(seven.AsSpan(1));
        writer.WriteNil();
        writer.Flush();

        Assert.False(TokenCodec.DecodeClaims(buffer.WrittenMemory).IsOk);
    }
}
