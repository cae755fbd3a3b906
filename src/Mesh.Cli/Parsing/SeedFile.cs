using Mesh.Contracts.Keys;

namespace Mesh.Cli.Parsing;

/// <summary>Seed files: the seed text and a newline, created with mode 0600 and never overwritten silently.</summary>
public static class SeedFile
{
    public static void Write(string path, SigningKey key, bool force) => SecretFile.Write(path, key.ExportSeedText(), force);

    public static SigningKey Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException("io", $"cannot read key file '{path}': {e.Message}");
        }

        return SigningKey.TryFromSeedText(text, out var key, out var error)
            ? key!
            : throw new CliException("key.invalid", $"'{path}': {error}");
    }
}
