using Mesh.Cli;

namespace Mesh.IntegrationTests;

/// <summary>Runs a mesh command in this process, as a user would type it, capturing what it prints.</summary>
public static class Cli
{
    public static async Task<(int Exit, string Out, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await MeshCli.RunAsync(args, new CliContext(output, error, new StringReader(""), TimeProvider.System));
        return (exit, output.ToString(), error.ToString());
    }
}
