using System.Text.Json;
using Mesh.Cli.Parsing;

namespace Mesh.Cli.Contexts;

/// <summary>
/// The contexts a user saved, and which is selected: one JSON file, <c>mesh/contexts.json</c>
/// under the user's config directory (<c>$XDG_CONFIG_HOME</c>, else <c>~/.config</c>), mode 0600
/// because a NATS URL may hold credentials.
/// </summary>
public sealed class ContextStore(string directory)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string Path { get; } = System.IO.Path.Combine(directory, "contexts.json");

    /// <summary>The store for this user, or null when there is no config directory to keep it in.</summary>
    public static ContextStore? ForUser(Func<string, string?> variables)
    {
        var config = variables("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg
            : variables("HOME") is { Length: > 0 } home ? System.IO.Path.Combine(home, ".config")
            : null;
        return config is null ? null : new ContextStore(System.IO.Path.Combine(config, "mesh"));
    }

    public ContextFile Read()
    {
        if (!File.Exists(Path))
        {
            return new ContextFile();
        }

        try
        {
            // A hand-edited file may say null for either part: read as absent, not as a crash later.
            var file = JsonSerializer.Deserialize<ContextFile>(File.ReadAllText(Path), Json) ?? new ContextFile();
            return file.Contexts is null ? file with { Contexts = new(StringComparer.Ordinal) } : file;
        }
        catch (JsonException e)
        {
            throw new CliException("io", $"'{Path}' is not a contexts file ({e.Message}); fix or delete it");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException("io", $"cannot read '{Path}': {e.Message}");
        }
    }

    public void Write(ContextFile file)
    {
        try
        {
            var info = Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            if (!OperatingSystem.IsWindows())
            {
                info.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException("io", $"cannot create '{System.IO.Path.GetDirectoryName(Path)}': {e.Message}");
        }

        SecretFile.Write(Path, JsonSerializer.Serialize(file, Json), replace: true);
    }

    /// <summary>The selected context, or null when none is.</summary>
    public MeshContext? Selected()
    {
        var file = Read();
        return file.Selected is { } name && file.Contexts.TryGetValue(name, out var context) ? context : null;
    }
}

/// <summary>What <see cref="ContextStore"/> keeps.</summary>
public sealed record ContextFile
{
    public string? Selected { get; init; }

    public SortedDictionary<string, MeshContext> Contexts { get; init; } = new(StringComparer.Ordinal);
}
