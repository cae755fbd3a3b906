namespace Mesh.Node.Sandbox;

/// <summary>
/// Wasmtime's error text made one line that says what happened: its first line is often only
/// "error while executing at wasm backtrace:", with the cause at the end. This keeps the cause
/// first, then the frames innermost first (<c>cause; at frame 0 &lt;- frame 1 ...</c>).
/// </summary>
public static class TrapText
{
    private const int MaxFrames = 8;

    public static string OneLine(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var causedBy = Array.FindIndex(lines, l => l.Equals("Caused by:", StringComparison.Ordinal));
        var head = causedBy < 0 ? lines : lines[..causedBy];
        var cause = causedBy < 0 ? [] : lines[(causedBy + 1)..];
        var frames = head.Where(IsFrame).Select(Frame).Take(MaxFrames).ToArray();
        var text = string.Join(" ", head.Where(l => !IsFrame(l) && !l.EndsWith("wasm backtrace:", StringComparison.Ordinal)));
        var parts = new List<string>();
        if (cause.Length > 0)
        {
            parts.Add(string.Join(": ", cause.Select(c => IsFrame(c) ? Frame(c) : c)));
        }

        if (text.Length > 0)
        {
            parts.Add(text);
        }

        if (frames.Length > 0)
        {
            parts.Add("at " + string.Join(" <- ", frames));
        }

        return parts.Count == 0 ? message.Trim() : string.Join("; ", parts);
    }

    // "0:   0x1c - <unknown>!run" or "0: 0x1c - run": numbered backtrace lines.
    private static bool IsFrame(string line)
    {
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && line[..colon].All(char.IsAsciiDigit);
    }

    private static string Frame(string line) => line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
}
