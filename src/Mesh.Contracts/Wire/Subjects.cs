namespace Mesh.Contracts.Wire;

/// <summary>Subject names Mesh uses on NATS.</summary>
public static class Subjects
{
    /// <summary>Functions are triggered on <c>mesh.fn.&lt;name&gt;</c>.</summary>
    public const string FunctionPrefix = "mesh.fn.";

    public static string ForFunction(string function) => FunctionPrefix + function;

    /// <summary>Nodes publish each function's log lines and outcomes on <c>mesh.log.&lt;name&gt;</c>.</summary>
    public const string LogPrefix = "mesh.log.";

    /// <summary>The stream an operator declares (mesh deploy) to keep recent function logs.</summary>
    public const string LogStream = "MESH_LOGS";

    public static string ForLog(string function) => LogPrefix + function;

    /// <summary>The function a log subject is for, or null when it is not one.</summary>
    public static string? FunctionOfLog(string subject) =>
        subject.StartsWith(LogPrefix, StringComparison.Ordinal) && FunctionName.IsValid(subject.AsSpan(LogPrefix.Length))
            ? subject[LogPrefix.Length..]
            : null;

    /// <summary>Whether a subject addresses a function, without allocating its name.</summary>
    public static bool IsFunction(string subject) =>
        subject.StartsWith(FunctionPrefix, StringComparison.Ordinal) && FunctionName.IsValid(subject.AsSpan(FunctionPrefix.Length));

    /// <summary>The function name a subject addresses, or null when it is not a function subject.</summary>
    public static string? FunctionOf(string subject) =>
        subject.StartsWith(FunctionPrefix, StringComparison.Ordinal) && FunctionName.IsValid(subject.AsSpan(FunctionPrefix.Length))
            ? subject[FunctionPrefix.Length..]
            : null;
}
