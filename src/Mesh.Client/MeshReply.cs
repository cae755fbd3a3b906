using Mesh.Contracts.Wire;

namespace Mesh.Client;

/// <summary>
/// A call's answer: the output, or the error code and message; which function answered and its
/// step in a chain; and how many attempts it took.
/// </summary>
public sealed record MeshReply(ErrorCode Code, string Status, string? Message, ReadOnlyMemory<byte> Output)
{
    public bool IsOk => Code == ErrorCode.None;

    public string? Function { get; init; }

    public int? Step { get; init; }

    /// <summary>On a fan-out: the functions whose outputs the body's MessagePack map holds.</summary>
    public string? FanOut { get; init; }

    /// <summary>Capabilities the function asked for and was refused.</summary>
    public string? Denied { get; init; }

    /// <summary>The HTTP status and headers the function set (<c>Mesh-Http-Response</c>, base64url), when it set them.</summary>
    public string? HttpResponse { get; init; }

    /// <summary>How many requests the call took (retries included).</summary>
    public int Attempts { get; init; } = 1;

    public override string ToString() => IsOk ? $"ok ({Output.Length} bytes)" : $"{Status}: {Message}";
}
