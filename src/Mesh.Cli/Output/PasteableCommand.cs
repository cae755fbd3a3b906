namespace Mesh.Cli.Output;

/// <summary>
/// Command lines printed for a person to paste (mesh up's and mesh deploy's <c>mesh call</c>
/// lines) that run as printed: <c>mesh</c> when a <c>mesh</c> is on PATH (the installed .NET
/// tool), else the <c>./mesh</c> script by its full path; every argument shell-quoted.
/// </summary>
public static class PasteableCommand
{
    public static string Line(CliContext context, params string[] arguments) =>
        string.Join(' ', [Mesh(context), .. arguments.Select(Quote)]);

    public static string Mesh(CliContext context)
    {
        var path = context.Variables("PATH") ?? "";
        var onPath = path.Split(':', StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, "mesh")));
        return onPath ? "mesh" : Quote(context.Variables("MESH_INVOKED_AS") ?? "mesh");
    }

    /// <summary>The argument as a POSIX shell reads it back: bare when it is plainly safe, else in single quotes.</summary>
    public static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '@' or '=' or ',' or '+')
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
