using System.Diagnostics;

namespace Mesh.Bench;

/// <summary>
/// A process a benchmark measures from outside, as a user would run it: <c>dotnet X.dll</c> from
/// this directory with its own environment. Its CPU time is read from the OS, so the table can say
/// what each process spent per call.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<(string Text, TaskCompletionSource Seen)> _awaited = [];
    private readonly List<string> _lines = [];

    private ChildProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Seen(e.Data);
        _process.ErrorDataReceived += (_, e) => Seen(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>When it was launched (a <see cref="Stopwatch"/> timestamp).</summary>
    public long StartedAt { get; private init; }

    /// <param name="dll">A path, relative to this benchmark's directory unless rooted.</param>
    // Mesh.Node.dll (and Mesh.Gateway.dll) run from their own build output: beside the bench, which references the CLI and
    // so the gateway (ASP.NET Core), the assemblies that framework provides are not copied.
    public static string Located(string dll)
    {
        if (dll is not ("Mesh.Node.dll" or "Mesh.Gateway.dll"))
        {
            return Path.Combine(AppContext.BaseDirectory, dll);
        }

        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Mesh.sln")))
        {
            directory = directory.Parent;
        }

        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        return directory is null ? Path.Combine(AppContext.BaseDirectory, dll) : Path.Combine(directory.FullName, "src", Path.GetFileNameWithoutExtension(dll), "bin", configuration, "net10.0", dll);
    }

    public static ChildProcess Start(string dll, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet", [Located(dll), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var startedAt = Stopwatch.GetTimestamp();
        return new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException($"{dll} did not start")) { StartedAt = startedAt };
    }

    public int Id => _process.Id;

    /// <summary>CPU time (user and system) the process has used so far.</summary>
    public TimeSpan Cpu
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>CPU time of any process by id (nats-server).</summary>
    public static TimeSpan CpuOf(int processId)
    {
        using var process = Process.GetProcessById(processId);
        return process.TotalProcessorTime;
    }

    public Task WaitForLineAsync(string text, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_awaited)
        {
            if (_lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
            {
                seen.TrySetResult();
            }

            _awaited.Add((text, seen));
        }

        return seen.Task.WaitAsync(timeout);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process.Dispose();
    }

    private void Seen(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_awaited)
        {
            _lines.Add(line);
            foreach (var (text, seen) in _awaited.Where(a => line.Contains(a.Text, StringComparison.Ordinal)))
            {
                seen.TrySetResult();
            }
        }
    }
}
