namespace Mesh.Cli;

/// <summary>
/// Where a command reads and writes, what time it is, and what environment it sees: injected so
/// tests run commands in-process. <see cref="Variables"/> answers environment variables (none,
/// unless given), which is also where the user's config directory comes from.
/// </summary>
public sealed record CliContext(TextWriter Out, TextWriter Error, TextReader In, TimeProvider Time, bool InputRedirected = false)
{
    public static CliContext System => new(Console.Out, Console.Error, Console.In, TimeProvider.System, Console.IsInputRedirected)
    {
        Variables = Environment.GetEnvironmentVariable,
        Colour = !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")),
    };

    /// <summary>Whether output may be coloured: a terminal, and no NO_COLOR.</summary>
    public bool Colour { get; init; }

    public Func<string, string?> Variables { get; init; } = _ => null;

    public Contexts.CommandDefaults Defaults => new(this);
}
