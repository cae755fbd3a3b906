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
