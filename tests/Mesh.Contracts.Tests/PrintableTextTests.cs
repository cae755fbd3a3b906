using Mesh.Contracts.Wire;

namespace Mesh.Contracts.Tests;

public class PrintableTextTests
{
    [Fact]
    public void Clean_ReturnsCleanTextItself()
    {
        var text = "payments invocation 1f2e-9 refused http";
        Assert.Same(text, PrintableText.Clean(text));
    }

    [Theory]
    [InlineData("a\r\nb", @"a\x0d\x0ab")]
    [InlineData("\u001b[2Kx", @"\x1b[2Kx")]
    [InlineData("tab\there", @"tab\x09here")]
    [InlineData("nul\0", @"nul\x00")]
    [InlineData("del\u007f c1\u0085", @"del\x7f c1\x85")]
    [InlineData("sep\u2028bidi\u202egnp", @"sep\u2028bidi\u202egnp")]
    [InlineData("café ✓", "café ✓")]
    public void Clean_EscapesEveryControl_VisiblyAndOnlyThose(string text, string expected)
    {
        Assert.Equal(expected, PrintableText.Clean(text));
        Assert.True(PrintableText.IsClean(PrintableText.Clean(text)));
    }

    [Fact]
    public void Clean_CutsToTheLength_MarkingTheCut_WithoutSplittingASurrogatePair()
    {
        Assert.Equal("abcdefg...", PrintableText.Clean("abcdefghijklmnop", 10));
        Assert.Equal(@"\x1b\x1b...", PrintableText.Clean(new string('\u001b', 50), 11));
        var cut = PrintableText.Clean("abcdef\U0001F600xyz", 10);
        Assert.Equal("abcdef...", cut);
    }
}

public class NatsUrlTests
{
    [Theory]
    [InlineData("nats://127.0.0.1:4222", "nats://127.0.0.1:4222", null, null, null)]
    [InlineData("nats://mesh:s3cret@n1:4222", "nats://n1:4222", "mesh", "s3cret", null)]
    [InlineData("nats://tok3n@n1:4222,nats://n2:4222", "nats://n1:4222,nats://n2:4222", null, null, "tok3n")]
    [InlineData("nats://n1:4222, nats://u:p%40ss@n2:4222", "nats://n1:4222,nats://n2:4222", "u", "p@ss", null)]
    [InlineData("u:p@n1:4222", "n1:4222", "u", "p", null)]
    public void Parse_MovesCredentialsOutOfTheUrls(string urls, string servers, string? user, string? password, string? token) =>
        Assert.Equal(new NatsUrl(servers, user, password, token), NatsUrl.Parse(urls));

    [Theory]
    [InlineData("nats://127.0.0.1:4222", "nats://127.0.0.1:4222")]
    [InlineData("nats://mesh:s3cret@n1:4222,nats://tok3n@n2:4222", "nats://mesh:***@n1:4222,nats://***@n2:4222")]
    [InlineData("u:p@n1:4222", "u:***@n1:4222")]
    public void Redact_HidesEveryPasswordAndToken(string urls, string shown) => Assert.Equal(shown, NatsUrl.Redact(urls));

    [Theory]
    [InlineData("nats://127.0.0.1:4222")]
    [InlineData("tls://n1:4222,wss://n2")]
    [InlineData("n1:4222")]
    [InlineData("nats://u:p@n1")]
    [InlineData("nats://[::1]:4222")]
    public void Problem_IsNull_ForWhatTheClientTakes(string urls) => Assert.Null(NatsUrl.Problem(urls));

    [Theory]
    [InlineData("http://127.0.0.1:4222", "the scheme must be")]
    [InlineData("nats://host:notaport", "the port must be")]
    [InlineData("nats://host:0", "the port must be")]
    [InlineData("nats://host:65536", "the port must be")]
    [InlineData("nats://n1:4222,ftp://n2", "'ftp://n2'")]
    [InlineData("nats://", "expected nats://HOST[:PORT]")]
    [InlineData(" , ", "no NATS server URL given")]
    public void Problem_NamesWhatIsWrong(string urls, string expected) => Assert.Contains(expected, NatsUrl.Problem(urls), StringComparison.Ordinal);

    [Fact]
    public void Problem_NeverShowsAPassword() =>
        Assert.DoesNotContain("s3cret", NatsUrl.Problem("http://mesh:s3cret@n1:4222"), StringComparison.Ordinal);
}
