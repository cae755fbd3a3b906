using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;

namespace Mesh.Node.Tokens;

/// <summary>
/// A token as a message presented it, looked at as cheaply as possible: decoded from its header and
/// found, or not, among verified tokens and recent refusals. Nothing here checks a signature: an
/// <see cref="IsUnknown"/> token still needs a verification, which the node spends only within a
/// bounded share of its queue.
/// </summary>
public readonly struct TokenLook
{
    private TokenLook(VerifiedToken? verified, MeshError? refusal, ReadOnlyMemory<byte> bytes, Sha256Digest key)
    {
        Verified = verified;
        Refusal = refusal;
        Bytes = bytes;
        Key = key;
    }

    /// <summary>The SHA-256 of the token's bytes (the caches' key), where it was computed (<see cref="HasKey"/>).</summary>
    public Sha256Digest Key { get; }

    public bool HasKey { get; private init; }

    /// <summary>Verified before (cached, not expired): the message's own checks remain.</summary>
    public VerifiedToken? Verified { get; }

    /// <summary>Refused: malformed text, or refused within the last while.</summary>
    public MeshError? Refusal { get; }

    /// <summary>The token's bytes, for the verification an unknown token still needs.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    public bool IsUnknown => Verified is null && Refusal is null;

    public static TokenLook Known(VerifiedToken token) => new(token, null, default, default);

    public static TokenLook Known(VerifiedToken token, Sha256Digest key) => new(token, null, default, key) { HasKey = true };

    public static TokenLook Refused(MeshError error) => new(null, error, default, default);

    public static TokenLook Refused(MeshError error, Sha256Digest key) => new(null, error, default, key) { HasKey = true };

    public static TokenLook Unknown(ReadOnlyMemory<byte> bytes, Sha256Digest key) => new(null, null, bytes, key) { HasKey = true };

    /// <summary>The <c>Mesh-Token</c> header's text, looked up (by its text when seen before, else decoded).</summary>
    public static TokenLook Of(string? text, VerifiedTokenCache cache) => cache.LookText(text);
}
