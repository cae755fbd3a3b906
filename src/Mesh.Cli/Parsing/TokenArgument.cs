using Mesh.Contracts.Tokens;

namespace Mesh.Cli.Parsing;

/// <summary>A token given as text, as <c>@FILE</c>, or as <c>-</c> for standard input.</summary>
public static class TokenArgument
{
    public static byte[] Read(string value, CliContext context)
    {
        var text = value switch
        {
            "-" => context.In.ReadToEnd(),
            _ when value.StartsWith('@') => ReadFile(value[1..]),
            _ => value,
        };
        return CliException.Unwrap(TokenCodec.FromText(text, 64 * 1024));
    }

    private static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException("io", $"cannot read token file '{path}': {e.Message}");
        }
    }
}
