using System.CommandLine;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>--key SEED</c>: the issuer seed a command signs with. Without the flag, <c>MESH_KEY</c>,
/// then the selected context's key.
/// </summary>
public sealed class KeyOption(CliContext context, string description)
{
    public Option<string?> Option { get; } = new("--key") { Description = $"{description} (default: $MESH_KEY, else the selected context's key)" };

    /// <summary>Whether the flag itself was given (not a default).</summary>
    public bool Given(ParseResult result) => result.GetValue(Option) is not null;

    /// <summary>The seed file, or null when neither the flag nor a default names one.</summary>
    public string? PathOrNull(ParseResult result) => result.GetValue(Option) ?? context.Defaults.Key;

    public string Path(ParseResult result) => PathOrNull(result)
        ?? throw CliException.Usage("give --key SEED (or set MESH_KEY, or save it in a context: mesh context add NAME --nats URL --key SEED)");
}
