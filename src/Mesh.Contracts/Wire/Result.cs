using System.Diagnostics.CodeAnalysis;

namespace Mesh.Contracts.Wire;

/// <summary>
/// A value or a <see cref="MeshError"/>. Used where failure is expected (bad input from the wire),
/// so exceptions stay for bugs and the edge of a process.
/// </summary>
public readonly struct Result<T>
{
    private readonly T? _value;

    private Result(T? value, MeshError error)
    {
        _value = value;
        Error = error;
    }

    public MeshError Error { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    public bool IsOk => Error.Code == ErrorCode.None;

    public T? Value => _value;

    public static Result<T> Ok(T value) => new(value, default);

    public static Result<T> Fail(ErrorCode code, string message) => new(default, new MeshError(code, message));

    public static Result<T> Fail(MeshError error) => new(default, error);

    public static implicit operator Result<T>(MeshError error) => Fail(error);

    public override string ToString() => IsOk ? $"ok: {_value}" : Error.ToString();
}
