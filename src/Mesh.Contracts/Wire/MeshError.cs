namespace Mesh.Contracts.Wire;

/// <summary>An error as it crosses a process boundary: a stable code and a message for humans.</summary>
public readonly record struct MeshError(ErrorCode Code, string Message)
{
    public static MeshError None { get; } = new(ErrorCode.None, "");

    public override string ToString() => $"{Code.ToWire()}: {Message}";
}
