namespace Mesh.Cli.Parsing;

/// <summary>Files that hold secrets (seeds, tokens): created with mode 0600, and kept 0600 when replaced.</summary>
public static class SecretFile
{
    public static void Write(string path, string text, bool replace)
    {
        if (File.Exists(path) && !replace)
        {
            throw new CliException("io", $"'{path}' exists; pass --force to replace it");
        }

        var options = new FileStreamOptions { Mode = replace ? FileMode.Create : FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(path, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.WriteLine(text);
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
}
