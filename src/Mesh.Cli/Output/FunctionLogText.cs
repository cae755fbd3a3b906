using System.Globalization;
using Mesh.Contracts.Wire;

namespace Mesh.Cli.Output;

/// <summary>
/// Function log entries as <c>mesh logs</c> and <c>mesh up</c> print them: one line each, guest
/// text cleaned of control characters again (never trust what a node relays), coloured by level
/// only when asked (a terminal, and no NO_COLOR).
/// </summary>
public static class FunctionLogText
{
    private const string Reset = "\u001b[0m";

    /// <summary>The entries in one published message (JSON lines); lines that are not entries are skipped.</summary>
    public static IEnumerable<FunctionLogLine> Parse(ReadOnlyMemory<byte> data) => FunctionLogLine.ParseLines(data);

    public static string Format(FunctionLogLine entry, bool colour)
    {
        var time = entry.Time.ToUniversalTime().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);
        var function = Clean(entry.Function, 64);
        var text = entry.Kind switch
        {
            FunctionLogLine.Kinds.Outcome =>
                $"{time} {function} {Clean(entry.Status, 64)} {entry.Micros.ToString("N0", CultureInfo.InvariantCulture)}µs step {entry.Step} invocation {Clean(entry.Invocation, 64)} token {Clean(entry.Token, 64)}"
                + (entry.Message is null ? "" : $": {Clean(entry.Message, 1024)}")
                + (entry.Denied is { Count: > 0 } denied ? $" denied {string.Join(", ", denied.Take(16).Select(d => Clean(d, 256)))}" : ""),
            FunctionLogLine.Kinds.Dropped => $"{time} {function} dropped {Clean(entry.Message, 1024)}",
            _ => $"{time} {function} {Clean(entry.Level, 8)} {Clean(entry.Message, 8192)}",
        };
        return colour && Colour(entry) is { } code ? code + text + Reset : text;
    }

    private static string? Colour(FunctionLogLine entry) => entry.Kind switch
    {
        FunctionLogLine.Kinds.Outcome when entry.Status != "ok" => "\u001b[31m",
        FunctionLogLine.Kinds.Outcome => "\u001b[2m",
        FunctionLogLine.Kinds.Dropped => "\u001b[33m",
        _ => entry.Level switch
        {
            "error" => "\u001b[31m",
            "warn" => "\u001b[33m",
            "debug" => "\u001b[2m",
            _ => null,
        },
    };

    private static string Clean(string? text, int max) => text is null ? "-" : PrintableText.Clean(text, max);
}
