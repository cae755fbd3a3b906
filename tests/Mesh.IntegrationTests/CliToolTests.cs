using System.Diagnostics;

namespace Mesh.IntegrationTests;

/// <summary>
/// scripts/install-cli.sh, as scripts/up.sh runs it: the CLI packed as a .NET tool and installed,
/// so <c>mesh</c> runs from anywhere; a second run with nothing changed does nothing. Installs into
/// a home of its own, never the machine's.
/// </summary>
// Both this and the other Release build of the CLI (./mesh, install-cli.sh) write obj/Release: one at a time.
[Collection(ReleaseBuildsOfTheCli.Name)]
public sealed class CliToolTests
{
    [Fact]
    public async Task InstallCli_InstallsAMeshThatRuns_AndDoesNothingTheSecondTime()
    {
        var home = Directory.CreateTempSubdirectory("mesh-tool-home-");
        try
        {
            var (exit, said) = await RunAsync(Path.Combine(MeshCluster.RepositoryRoot(), "scripts", "install-cli.sh"), [], home.FullName);
            Assert.True(exit == 0, said);
            Assert.Contains("install-cli: mesh 0.1.0-local.", said, StringComparison.Ordinal);

            var mesh = Path.Combine(home.FullName, ".dotnet", "tools", "mesh");
            var (versionExit, version) = await RunAsync(mesh, ["--version"], home.FullName);
            Assert.True(versionExit == 0, version);
            Assert.StartsWith("0.1.0-local.", version, StringComparison.Ordinal);
            var (doctorExit, doctor) = await RunAsync(mesh, ["doctor", "--nats", "nats://127.0.0.1:1"], home.FullName);
            Assert.Equal(1, doctorExit);
            Assert.Contains("toolchain: WAT\tok", doctor, StringComparison.Ordinal);

            var (again, secondTime) = await RunAsync(Path.Combine(MeshCluster.RepositoryRoot(), "scripts", "install-cli.sh"), [], home.FullName);
            Assert.Equal(0, again);
            Assert.Equal("", secondTime);
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }

    private static async Task<(int Exit, string Output)> RunAsync(string file, string[] arguments, string home)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = home };
        start.Environment["HOME"] = home;
        start.Environment["DOTNET_CLI_HOME"] = home;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(limit.Token);
        return (process.ExitCode, await output + await error);
    }
}
