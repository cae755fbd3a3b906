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
    };

    public Func<string, string?> Variables { get; init; } = _ => null;

    public Contexts.CommandDefaults Defaults => new(this);
}
