using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Mesh.Cli.Local;

namespace Mesh.IntegrationTests;

/// <summary>
/// The README's tours, pasted into a shell as a newcomer would: every command block from "A tour
/// of tokens" to "Node settings", in order, and every output the README shows (a <c># ...</c>
/// line after a command) must appear. Only the port, the tour's directory and HOME change, so
/// the test runs beside others. Values that differ run to run (ids, times, counts) match any value.
/// </summary>
// Both this and the other Release build of the CLI (./mesh, install-cli.sh) write obj/Release: one at a time.
[Collection(ReleaseBuildsOfTheCli.Name)]
public sealed partial class ReadmeTourTests
{
    [Fact]
    public async Task TheReadmeTours_RunAsPasted_AndPrintWhatTheReadmeShows()
    {
        var root = MeshCluster.RepositoryRoot();
        var readme = await File.ReadAllTextAsync(Path.Combine(root, "README.md"));
        var tour = readme[readme.IndexOf("## A tour of tokens", StringComparison.Ordinal)..readme.IndexOf("## Node settings", StringComparison.Ordinal)];
        var blocks = ShellBlock().Matches(tour).Select(m => m.Groups[1].Value).ToList();
        Assert.True(blocks.Count > 10, "the tour's command blocks were not found");

        var directory = Directory.CreateTempSubdirectory("mesh-readme-tour-");
        try
        {
            var port = NatsServerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
            var script = new StringBuilder()
                .AppendLine("trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT")   // the tour's nats-server, node, gateway, secrets service and provider
                .AppendLine($"cd '{root}'")
                .AppendJoin('\n', blocks)
                .ToString()
                .Replace("/tmp/mesh-tour", Path.Combine(directory.FullName, "tour"), StringComparison.Ordinal)
                .Replace("4222", port, StringComparison.Ordinal)
                .Replace("8080", NatsServerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("8099", NatsServerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
            var output = await RunAsync(script, directory.FullName);

            var shown = Expected(blocks).ToList();
            Assert.True(shown.Count > 20, $"only {shown.Count} outputs found in the README's tour");
            foreach (var expected in shown)
            {
                Assert.True(expected.IsMatch(output), $"the README shows output matching /{expected}/, which the tour did not print. It printed:\n{output}");
            }

            Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
            Assert.DoesNotContain("command not found", output, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    // A "# ..." line that follows a command (or another such line) is what that command prints.
    private static IEnumerable<Regex> Expected(IEnumerable<string> blocks)
    {
        foreach (var block in blocks)
        {
            var afterCommand = false;
            foreach (var line in block.Split('\n'))
            {
                if (line.StartsWith("# ", StringComparison.Ordinal) && afterCommand)
                {
                    yield return Pattern(line[2..]);
                }
                else
                {
                    afterCommand = line.Length > 0 && !line.StartsWith('#');
                }
            }
        }
    }

    // Words in order, any run of spaces or tabs between them; a word with "..." or a digit in it
    // stands for any word (ids, times, counts, digests).
    private static Regex Pattern(string shown) =>
        new(string.Join(@"[ \t]+", shown.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)
            .Select(word => word.Contains("...", StringComparison.Ordinal) || word.Any(char.IsAsciiDigit) ? @"\S+" : Regex.Escape(word))));

    private static async Task<string> RunAsync(string script, string home)
    {
        var start = new ProcessStartInfo("bash", ["-c", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["HOME"] = home;
        start.Environment.Remove("MESH_NATS_URL");
        start.Environment.Remove("MESH_KEY");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the README tour did not finish within 8 minutes:\n{await stdout}\n{await stderr}");
        }

        return await stdout + "\n" + await stderr;
    }

    [GeneratedRegex("```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();
}
