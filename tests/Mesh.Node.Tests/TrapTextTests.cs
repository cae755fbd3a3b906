using Mesh.Node.Sandbox;

namespace Mesh.Node.Tests;

/// <summary>Wasmtime's multi-line errors as one line that still says what happened.</summary>
public sealed class TrapTextTests
{
    [Fact]
    public void ATrap_KeepsItsCauseAndFrames_NotJustTheFirstLine()
    {
        const string message = "error while executing at wasm backtrace:\n    0:   0x1c - <unknown>!run\n    1:   0x30 - <unknown>!outer\n\nCaused by:\n    wasm trap: wasm `unreachable` instruction executed";

        var line = TrapText.OneLine(message);

        Assert.Equal("wasm trap: wasm `unreachable` instruction executed; at 0x1c - <unknown>!run <- 0x30 - <unknown>!outer", line);
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public void AOneLineMessage_StaysAsItIs()
    {
        Assert.Equal("memory minimum size of 400 pages exceeds memory limits", TrapText.OneLine("memory minimum size of 400 pages exceeds memory limits"));
    }
}
