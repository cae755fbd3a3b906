using System.Collections.Concurrent;
using System.Diagnostics;

namespace Mesh.IntegrationTests;

/// <summary>
/// A node as its own OS process (<c>dotnet Mesh.Node.dll</c>) in an empty working directory, so a
/// test can kill it for real (SIGKILL), stop it politely (SIGTERM) and start another from nothing.
/// </summary>
public sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _serving = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private NodeProcess(Process process, string directory)
    {
        _process = process;
        Directory = directory;
        _process.OutputDataReceived += (_, e) => Seen(e.Data);
        _process.ErrorDataReceived += (_, e) => Seen(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Directory { get; }

    public ConcurrentQueue<string> Output { get; } = new();

    public bool HasExited => _process.HasExited;

    /// <summary>The node process's resident memory now (VmRSS).</summary>
    public long ResidentBytes =>
        long.Parse(File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;

    public int ExitCode => _process.ExitCode;

    /// <param name="clockOffset">Runs the node under libfaketime (Debian's <c>faketime</c>) with its clock moved, e.g. <c>+40s</c>.</param>
    public static async Task<NodeProcess> StartAsync(string natsUrl, string trustedRoot, IDictionary<string, string>? settings = null, string? clockOffset = null)
    {
        var node = Launch([NodeAssembly], natsUrl, trustedRoot, settings, clockOffset);
        await node._serving.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return node;
    }

    /// <summary>Starts a node without waiting for it to serve (it may never: a test of failing to connect).</summary>
    public static NodeProcess Launch(string natsUrl, string trustedRoot, IDictionary<string, string>? settings = null) =>
        Launch([NodeAssembly], natsUrl, trustedRoot, settings);

    // The node's own build output: beside the tests, which reference the gateway (ASP.NET Core),
    // the assemblies that framework provides are not copied, and the node runs on .NET alone.
    internal static string NodeAssembly
    {
        get
        {
            var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
            return Path.Combine(MeshCluster.RepositoryRoot(), "src", "Mesh.Node", "bin", configuration, "net10.0", "Mesh.Node.dll");
        }
    }

    /// <summary>
    /// The secrets service as the node image runs it (<c>dotnet Mesh.Node.dll secrets</c>), with the
    /// sealing key <paramref name="keySeed"/>; returns once it serves.
    /// </summary>
    public static async Task<NodeProcess> StartSecretsAsync(string natsUrl, string trustedRoot, string keySeed)
    {
        var service = Launch([NodeAssembly, "secrets"], natsUrl, trustedRoot, new Dictionary<string, string> { ["Mesh__Secrets__Key"] = keySeed });
        await Eventually.HoldsAsync(() => service.Output.Any(l => l.Contains("secrets service: sealing key", StringComparison.Ordinal)), "the secrets service serves", TimeSpan.FromSeconds(30));
        return service;
    }

    /// <summary>A node run the way a user runs one: <c>mesh node ARGS</c>, settings from the environment.</summary>
    public static NodeProcess LaunchCli(string[] args, string natsUrl, string trustedRoot, IDictionary<string, string>? settings = null) =>
        Launch([Path.Combine(AppContext.BaseDirectory, "mesh.dll"), "node", .. args], natsUrl, trustedRoot, settings);

    private static NodeProcess Launch(string[] command, string natsUrl, string trustedRoot, IDictionary<string, string>? settings, string? clockOffset = null)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("mesh-node-").FullName;
        var start = new ProcessStartInfo(clockOffset is null ? "dotnet" : "faketime", clockOffset is null ? command : ["-f", clockOffset, "dotnet", .. command])
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["Mesh__Nats__Url"] = natsUrl;
        start.Environment["Mesh__Tokens__TrustedRoots__0"] = trustedRoot;
        start.Environment["Mesh__Execution__Concurrency"] = "4";
        start.Environment["Mesh__Ceilings__Fuel"] = "1000000000000";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return new NodeProcess(Process.Start(start) ?? throw new InvalidOperationException("node did not start"), directory);
    }

    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM, as docker stop or systemd would send it.</summary>
    public void Terminate() => Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();

    /// <summary>Waits until the node says it serves.</summary>
    public Task ServingAsync(TimeSpan timeout) => _serving.Task.WaitAsync(timeout);

    /// <summary>SIGSTOP: the process freezes where it is (a GC pause, a stalled VM); <see cref="Resume"/> lets it go on.</summary>
    public void Freeze() => Process.Start("kill", ["-STOP", _process.Id.ToString()])!.WaitForExit();

    public void Resume() => Process.Start("kill", ["-CONT", _process.Id.ToString()])!.WaitForExit();

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync().WaitAsync(timeout);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private void Seen(string? line)
    {
        if (line is null)
        {
            return;
        }

        Output.Enqueue(line);
        if (line.Contains("node serving", StringComparison.Ordinal))
        {
            _serving.TrySetResult();
        }
    }
}
