using System.Text;

namespace Mesh.Cli.Parsing;

/// <summary>Bytes a command sends: from <c>--data</c> (text), <c>--file</c> (any bytes) or redirected standard input.</summary>
public static class InputBytes
{
    /// <returns>The bytes, or null when none of the three gave any.</returns>
    public static async Task<byte[]?> ReadAsync(string? data, string? file, CliContext context, CancellationToken cancellationToken)
    {
        if (data is not null && file is not null)
        {
            throw CliException.Usage("give --data or --file, not both");
        }

        if (data is not null)
        {
            return Encoding.UTF8.GetBytes(data);
        }

        if (file is not null)
        {
            try
            {
                return await File.ReadAllBytesAsync(file, cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException("io", $"cannot read '{file}': {e.Message}");
            }
        }

        return context.InputRedirected ? Encoding.UTF8.GetBytes(await context.In.ReadToEndAsync(cancellationToken)) : null;
    }
}
