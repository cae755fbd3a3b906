using System.Collections.Immutable;

namespace Mesh.Contracts.Tokens;

/// <summary>
/// A token as it travels: version, root key, blocks, and a proof. The proof is either the secret
/// key for the last block's <see cref="SignedBlock.NextKey"/> (so the holder can append a narrower
/// block) or a seal, the signature of that key over the last signature (so nobody can).
/// </summary>
public sealed record TokenEnvelope(int Version, byte[] RootKey, ImmutableArray<SignedBlock> Blocks, byte[]? NextSecret, byte[]? Seal)
{
    public const int CurrentVersion = 1;

    public bool IsSealed => Seal is not null;
}
