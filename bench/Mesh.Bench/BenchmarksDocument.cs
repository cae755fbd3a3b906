using System.Text.RegularExpressions;

namespace Mesh.Bench;

/// <summary>
/// docs/benchmarks.md holds one section per suite between markers, so each suite rewrites its own
/// results and leaves the others alone.
/// </summary>
public static partial class BenchmarksDocument
{
    private const string Header = "# Benchmarks\n\nMeasured with `bench/run.sh`. Each section says what it compares, and the machine it ran on.\n";

    public static void WriteSection(string path, string suite, string content)
    {
        var start = $"<!-- bench:{suite}:start -->";
        var end = $"<!-- bench:{suite}:end -->";
        var section = $"{start}\n{content.TrimEnd()}\n{end}";
        var text = File.Exists(path) ? File.ReadAllText(path) : Header;
        var pattern = new Regex(Regex.Escape(start) + ".*?" + Regex.Escape(end), RegexOptions.Singleline);
        text = pattern.IsMatch(text) ? pattern.Replace(text, section.Replace("$", "$$", StringComparison.Ordinal)) : text.TrimEnd() + "\n\n" + section + "\n";
        File.WriteAllText(path, text);
    }
}
