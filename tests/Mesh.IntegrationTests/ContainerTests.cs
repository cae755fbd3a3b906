using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Mesh.IntegrationTests;

/// <summary>
/// What the container setup relies on, checked as far as a machine without a Docker engine allows:
/// docker-compose.yml validated by <c>docker-compose config</c> (Debian's docker-compose needs no
/// engine for it), the Dockerfile's inputs and settings matching the repository, and the node
/// process failing fast, in one line, on settings that cannot work.
/// </summary>
public sealed partial class ContainerTests
{
    private static readonly string Root = MeshCluster.RepositoryRoot();

    private static async Task<(int Exit, string Out, string Error)> RunAsync(string file, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file, args) { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment.Remove("MESH_TRUSTED_ROOT");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await output, await error);
    }

    private static string DockerCompose =>
        new[] { "/usr/bin/docker-compose", "/usr/local/bin/docker-compose" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("docker-compose is missing: scripts/install-prerequisites.sh installs it (apt package docker-compose)");

    [Fact]
    public async Task TheComposeFile_IsValid_AndItsNodesScale()
    {
        var (exit, output, error) = await RunAsync(DockerCompose, ["config"], new Dictionary<string, string> { ["MESH_TRUSTED_ROOT"] = "OTESTKEY" });

        Assert.True(exit == 0, error);
        var node = output[output.IndexOf("  node:", StringComparison.Ordinal)..];
        Assert.Contains("Mesh__Tokens__TrustedRoots__0: OTESTKEY", node);
        Assert.Contains("condition: service_healthy", node);
        // Scaling needs nodes without fixed names or host ports.
        Assert.DoesNotContain("container_name", node);
        Assert.DoesNotContain("ports:", node.Split("volumes:")[0]);
        Assert.Contains("- -js", output);
        // The dashboard is published on the host's loopback only.
        var dashboard = output[output.IndexOf("  dashboard:", StringComparison.Ordinal)..output.IndexOf("  gateway:", StringComparison.Ordinal)];
        Assert.Contains("- 127.0.0.1:8090:8090/tcp", dashboard);
        Assert.Contains("target: dashboard", dashboard);
    }

    [Fact]
    public async Task TheClusterComposeFile_IsValid_AndEveryServerRunsTheTestedConfig()
    {
        var (exit, output, error) = await RunAsync(DockerCompose, ["-f", "deploy/nats-cluster/docker-compose.yml", "config"], new Dictionary<string, string> { ["MESH_TRUSTED_ROOT"] = "OTESTKEY" });

        Assert.True(exit == 0, error);
        foreach (var server in new[] { "n1", "n2", "n3" })
        {
            Assert.Contains($"NATS_NAME: {server}", output);
        }

        Assert.Equal(3, output.Split("deploy/nats-cluster/nats.conf:/etc/nats/nats.conf:ro").Length - 1);
        Assert.Contains("Mesh__Nats__Url: nats://n1:4222,nats://n2:4222,nats://n3:4222", output);
    }

    [Fact]
    public async Task WithoutATrustedKey_ComposeRefusesToStart()
    {
        var (exit, _, error) = await RunAsync(DockerCompose, ["config"]);

        Assert.NotEqual(0, exit);
        Assert.Contains("MESH_TRUSTED_ROOT", error);
    }

    [Fact]
    public void TheDockerfile_CopiesWhatExists_AndChecksTheFileTheNodeWrites()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Root, "Dockerfile"));

        foreach (Match copy in CopyLine().Matches(dockerfile))
        {
            foreach (var source in copy.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                Assert.True(File.Exists(Path.Combine(Root, source)) || Directory.Exists(Path.Combine(Root, source)), $"Dockerfile copies '{source}', which does not exist");
            }
        }

        Assert.Contains("dotnet publish src/Mesh.Node/Mesh.Node.csproj", dockerfile);
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"Mesh.Node.dll\"]", dockerfile);
        Assert.Contains("Mesh__Health__ReadyFile=/tmp/mesh-node.ready", dockerfile);
        Assert.Contains("\"test\", \"-f\", \"/tmp/mesh-node.ready\"", dockerfile);
    }

    [Fact]
    public async Task ANodeWithSettingsThatCannotWork_ExitsAtOnceWithOneLine()
    {
        var (exit, output, error) = await RunAsync("dotnet", [NodeProcess.NodeAssembly], new Dictionary<string, string>
        {
            ["Mesh__Tokens__TrustedRoots__0"] = "not-a-key",
        });

        Assert.Equal(2, exit);
        Assert.StartsWith("mesh-node: invalid settings: Mesh:Tokens:TrustedRoots:0: not a Mesh public key", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Equal("", output);
    }

    // COPY sources (all but the last word, which is the destination), not the --from stage copies.
    [GeneratedRegex(@"^COPY (?!--)(.+) \S+$", RegexOptions.Multiline)]
    private static partial Regex CopyLine();
}
