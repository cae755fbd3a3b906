using System.CommandLine;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>--nats</c> for the commands that run a host (<c>node</c>, <c>gateway</c>, <c>secrets serve</c>):
/// no default of its own, so that without the flag <c>Mesh__Nats__Url</c> decides, then
/// <c>MESH_NATS_URL</c> or the selected context, and only then the host's default.
/// </summary>
public sealed class HostNatsOption(CliContext context)
{
    public Option<string?> Option { get; } = new("--nats")
    {
        Description = $"NATS server URL (default: Mesh__Nats__Url, else $MESH_NATS_URL or the selected context's, else {NatsOption.DefaultUrl})",
    };

    /// <summary>The <c>Mesh:Nats:Url</c> setting to add, when the flag or the CLI's own defaults name one and the host's settings do not.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Overrides(ParseResult result)
    {
        if (result.GetValue(Option) is { } url)
        {
            yield return new("Mesh:Nats:Url", url);
        }
        else if (context.Variables("Mesh__Nats__Url") is null && context.Defaults.Nats is { } fallback)
        {
            yield return new("Mesh:Nats:Url", fallback);
        }
    }
}
