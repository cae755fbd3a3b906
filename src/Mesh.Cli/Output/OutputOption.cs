using System.CommandLine;
using System.Text.Json;

namespace Mesh.Cli.Output;

/// <summary>
/// <c>-o table|json</c> on every command that prints a list or a record: a table (tab-separated,
/// a header line) for people, JSON (one document, camelCase) for scripts.
/// </summary>
public sealed class OutputOption
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public Option<string> Format { get; } = new("--output", "-o")
    {
        Description = "How to print: table or json",
        DefaultValueFactory = _ => "table",
    };

    public OutputOption()
    {
        Format.AcceptOnlyFromAmong("table", "json");
    }

    public void AddTo(Command command) => command.Add(Format);

    public bool IsJson(ParseResult result) => result.GetValue(Format) == "json";

    /// <summary>Prints <paramref name="rows"/> as JSON, or as a table with <paramref name="header"/> and one line per row.</summary>
    public async Task WriteAsync<T>(ParseResult result, TextWriter output, IReadOnlyList<T> rows, string[] header, Func<T, string[]> cells)
    {
        if (IsJson(result))
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(rows, Json));
            return;
        }

        await output.WriteLineAsync(string.Join('\t', header));
        foreach (var row in rows)
        {
            await output.WriteLineAsync(string.Join('\t', cells(row).Select(c => Contracts.Wire.PrintableText.Clean(c, 300))));
        }
    }

    /// <summary>Prints one record as JSON, or as <c>name: value</c> lines.</summary>
    public async Task WriteRecordAsync<T>(ParseResult result, TextWriter output, T record, IEnumerable<(string Name, string Value)> lines)
    {
        if (IsJson(result))
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(record, Json));
            return;
        }

        foreach (var (name, value) in lines)
        {
            await output.WriteLineAsync($"{name}: {Contracts.Wire.PrintableText.Clean(value, 300)}");
        }
    }
}
