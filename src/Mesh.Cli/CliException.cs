namespace Mesh.Cli;

/// <summary>
/// A failure to report to the user: <c>mesh: CODE: message</c> on stderr and a non-zero exit.
/// Codes are the wire codes (<c>token.widened</c>) or <c>usage</c> / <c>io</c> for local mistakes.
/// </summary>
public sealed class CliException(string code, string message, int exitCode = 1) : Exception(message)
{
    public const int UsageExitCode = 2;

    public string Code { get; } = code;

    public int ExitCode { get; } = exitCode;

    public static CliException Usage(string message) => new("usage", message, UsageExitCode);

    public static CliException From(Contracts.Wire.MeshError error) => new(Contracts.Wire.ErrorCodes.ToWire(error.Code), error.Message);

    /// <summary>The value, or the result's error thrown as a <see cref="CliException"/>.</summary>
    public static T Unwrap<T>(Contracts.Wire.Result<T> result) => result.IsOk ? result.Value : throw From(result.Error);
}
