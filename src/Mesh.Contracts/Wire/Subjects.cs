namespace Mesh.Contracts.Wire;

/// <summary>Subject names Mesh uses on NATS.</summary>
public static class Subjects
{
    /// <summary>Functions are triggered on <c>mesh.fn.&lt;name&gt;</c>.</summary>
    public const string FunctionPrefix = "mesh.fn.";

    public static string ForFunction(string function) => FunctionPrefix + function;

    /// <summary>Whether a subject addresses a function, without allocating its name.</summary>
    public static bool IsFunction(string subject) =>
        subject.StartsWith(FunctionPrefix, StringComparison.Ordinal) && FunctionName.IsValid(subject.AsSpan(FunctionPrefix.Length));

    /// <summary>The function name a subject addresses, or null when it is not a function subject.</summary>
    public static string? FunctionOf(string subject) =>
        subject.StartsWith(FunctionPrefix, StringComparison.Ordinal) && FunctionName.IsValid(subject.AsSpan(FunctionPrefix.Length))
            ? subject[FunctionPrefix.Length..]
            : null;
}
