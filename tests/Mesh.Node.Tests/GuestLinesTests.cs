using System.Text;
using Mesh.Node.Wasi;

namespace Mesh.Node.Tests;

/// <summary>How a WASI guest's stderr becomes log lines: joined across writes, cut when too long, never held whole.</summary>
public sealed class GuestLinesTests
{
    private readonly List<string> _lines = [];

    private GuestLines Lines(int max) => new(max, line => _lines.Add(Encoding.UTF8.GetString(line)));

    [Fact]
    public void PiecesAreJoinedUpToEachNewline_AndTheRestIsHandedOnAtTheEnd()
    {
        using var lines = Lines(100);
        lines.Write("x = "u8);
        lines.Write("5\nsecond "u8);
        lines.Write("line\r\n\nlast"u8);

        Assert.Equal(["x = 5", "second line"], _lines);
        lines.Flush();
        Assert.Equal(["x = 5", "second line", "last"], _lines);
    }

    [Fact]
    public void AnOverlongLine_IsHandedOnAsSoonAsItFills_ThenDroppedToItsNewline()
    {
        using var lines = Lines(10);
        lines.Write(Encoding.UTF8.GetBytes(new string('a', 25)));

        // Handed on at once, one byte over the limit (so the log cuts it and says so), not at the end.
        Assert.Equal([new string('a', 11)], _lines);

        lines.Write(Encoding.UTF8.GetBytes(new string('a', 1_000_000) + "\nnext\n"));
        Assert.Equal([new string('a', 11), "next"], _lines);
    }
}
