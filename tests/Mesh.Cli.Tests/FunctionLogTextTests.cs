using System.Text;
using Mesh.Cli.Output;
using Mesh.Contracts.Wire;

namespace Mesh.Cli.Tests;

public sealed class FunctionLogTextTests
{
    private static readonly FunctionLogLine ErrorLine = new()
    {
        Time = new DateTimeOffset(2026, 11, 30, 6, 2, 11, 418, TimeSpan.Zero),
        Function = "counter",
        Level = "error",
        Message = "boom \u001b[2J",
    };

    [Fact]
    public void WithoutColour_ALineIsPlainText_AndGuestControlCharactersAreEscaped()
    {
        var text = FunctionLogText.Format(ErrorLine, colour: false);

        Assert.Equal("06:02:11.418 counter error boom \\x1b[2J", text);
    }

    [Fact]
    public void WithColour_OnlyTheWholeLineIsWrapped_ByLevel_AndGuestTextStaysEscaped()
    {
        var text = FunctionLogText.Format(ErrorLine, colour: true);

        Assert.StartsWith("\u001b[31m06:02:11.418 counter error boom \\x1b[2J", text, StringComparison.Ordinal);
        Assert.EndsWith("\u001b[0m", text, StringComparison.Ordinal);
        Assert.Equal(2, text.Count(c => c == '\u001b'));
        Assert.Equal(FunctionLogText.Format(ErrorLine with { Level = "info" }, colour: false), FunctionLogText.Format(ErrorLine with { Level = "info" }, colour: true));
    }

    [Fact]
    public void AnOutcome_ShowsWhatItsTokenRefusedIt_WithControlCharactersEscaped()
    {
        var outcome = new FunctionLogLine
        {
            Time = ErrorLine.Time,
            Kind = FunctionLogLine.Kinds.Outcome,
            Function = "reader",
            Status = "ok",
            Micros = 90,
            Step = 1,
            Invocation = "i-1",
            Token = "t1",
            Denied = ["file:/etc/passwd", "http:GET http://evil.example/\u001b[2J"],
        };

        Assert.Equal(
            "06:02:11.418 reader ok 90µs step 1 invocation i-1 token t1 denied file:/etc/passwd, http:GET http://evil.example/\\x1b[2J",
            FunctionLogText.Format(outcome, colour: false));
    }

    [Fact]
    public void AnOutcome_ShowsStatusMicrosStepInvocationAndToken()
    {
        var outcome = new FunctionLogLine
        {
            Time = ErrorLine.Time,
            Kind = FunctionLogLine.Kinds.Outcome,
            Function = "counter",
            Status = "ok",
            Micros = 1234,
            Step = 2,
            Invocation = "inv-1",
            Token = "5ceb5bb0dc04315748624468f6d02568",
        };

        Assert.Equal("06:02:11.418 counter ok 1,234µs step 2 invocation inv-1 token 5ceb5bb0dc04315748624468f6d02568", FunctionLogText.Format(outcome, colour: false));
    }

    [Fact]
    public void Parse_SkipsWhatIsNotAnEntry_AndKeepsWhatIs()
    {
        var data = Encoding.UTF8.GetBytes("junk\n{\"kind\":\"log\",\"function\":\"f\",\"message\":\"kept\",\"time\":\"2026-11-30T06:02:11Z\"}\n{\"kind\":\n\n");

        var entry = Assert.Single(FunctionLogText.Parse(data));

        Assert.Equal("kept", entry.Message);
    }
}
