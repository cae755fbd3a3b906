namespace Mesh.Cli;

/// <summary>Where a command reads and writes, and what time it is: injected so tests run commands in-process.</summary>
public sealed record CliContext(TextWriter Out, TextWriter Error, TextReader In, TimeProvider Time, bool InputRedirected = false)
{
    public static CliContext System => new(Console.Out, Console.Error, Console.In, TimeProvider.System, Console.IsInputRedirected);
}
