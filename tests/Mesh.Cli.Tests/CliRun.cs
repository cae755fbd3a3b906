using Microsoft.Extensions.Time.Testing;

namespace Mesh.Cli.Tests;

/// <summary>Runs <c>mesh</c> commands in-process in a temporary directory, capturing stdout and stderr.</summary>
public sealed class CliRun : IDisposable
{
    public CliRun()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("mesh-cli-").FullName;
        Variables["HOME"] = System.IO.Path.Combine(Directory, "home");
    }

    public string Directory { get; }

    /// <summary>The environment commands see: HOME is this run's own directory, so contexts saved stay here.</summary>
    public Dictionary<string, string> Variables { get; } = [];

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    public string Path(string name) => System.IO.Path.Combine(Directory, name);

    public (int Exit, string Out, string Error) RunWithInput(string input, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = MeshCli.RunAsync(args, new CliContext(output, error, new StringReader(input), Clock) { Variables = name => Variables.GetValueOrDefault(name) }).GetAwaiter().GetResult();
        return (exit, output.ToString(), error.ToString());
    }

    public (int Exit, string Out, string Error) Run(params string[] args) => RunWithInput("", args);

    /// <summary>Runs a command that must succeed and returns its single line of output.</summary>
    public string Ok(params string[] args)
    {
        var (exit, output, error) = Run(args);
        Assert.True(exit == 0, $"mesh {string.Join(' ', args)} exited {exit}: {error}");
        Assert.Equal("", error);
        return output.TrimEnd('\n');
    }

    public string Wasm(string name)
    {
        var path = Path(name);
        File.WriteAllBytes(path, [0, (byte)'a', (byte)'s', (byte)'m', 1, 0, 0, 0, (byte)name.Length]);
        return path;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
