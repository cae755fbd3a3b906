using Mesh.Contracts.Keys;

namespace Mesh.Cli.Parsing;

/// <summary>Seed files: the seed text and a newline, created with mode 0600 and never overwritten silently.</summary>
public static class SeedFile
{
    public static void Write(string path, SigningKey key, bool force)
    {
        if (File.Exists(path) && !force)
        {
            throw new CliException("io", $"'{path}' exists; pass --force to replace it");
        }

        var options = new FileStreamOptions { Mode = force ? FileMode.Create : FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(path, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.WriteLine(key.ExportSeedText());
            }

            // A replaced file keeps its old mode; set it again.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException("io", $"cannot write '{path}': {e.Message}");
        }
    }

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
