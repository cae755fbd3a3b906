namespace Mesh.Contracts.Tokens;

/// <summary>
/// One block as it travels: the payload bytes exactly as signed, the public key that must sign the
/// next block, and this block's signature (see <see cref="BlockSignature"/>).
/// </summary>
public sealed record SignedBlock(byte[] Payload, byte[] NextKey, byte[] Signature);
