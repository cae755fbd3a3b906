namespace Mesh.Contracts.Wire;

/// <summary>NATS header names Mesh reads and writes.</summary>
public static class MeshHeaders
{
    /// <summary>The capability token, base64url without padding.</summary>
    public const string Token = "Mesh-Token";

    /// <summary>Optional: which of the grant's module digests to run (<c>sha256:HEX</c>).</summary>
    public const string Module = "Mesh-Module";

    /// <summary>On replies: <c>ok</c> or an error's wire code.</summary>
    public const string Status = "Mesh-Status";

    /// <summary>On error replies: a message for humans.</summary>
    public const string Message = "Mesh-Message";

    /// <summary>On replies: capabilities the function asked for and was refused, comma-separated.</summary>
    public const string Denied = "Mesh-Denied";
}
