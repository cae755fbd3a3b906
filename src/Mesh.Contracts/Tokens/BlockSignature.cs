using System.Buffers;
using System.Buffers.Binary;
using Mesh.Contracts.Keys;

namespace Mesh.Contracts.Tokens;

/// <summary>
/// What each signature covers. A block's signature is over a domain tag, the payload's length and
/// bytes, the next block's public key and the previous block's signature, so blocks cannot be
/// reordered, dropped or grafted from another token (the Biscuit v1 signed-payload construction).
/// A seal is the last next-key's signature over a different tag and the last signature.
/// </summary>
public static class BlockSignature
{
    private static ReadOnlySpan<byte> BlockTag => "mesh-token-v1/block\0"u8;
    private static ReadOnlySpan<byte> SealTag => "mesh-token-v1/seal\0"u8;

    public static byte[] SignBlock(SigningKey key, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> nextKey, ReadOnlySpan<byte> previousSignature)
    {
        var signature = new byte[SigningKey.SignatureLength];
        var rented = RentBlockMessage(payload, nextKey, previousSignature, out var length);
        try
        {
            key.Sign(rented.AsSpan(0, length), signature);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return signature;
    }

    public static bool VerifyBlock(VerifyingKey key, SignedBlock block, ReadOnlySpan<byte> previousSignature)
    {
        var rented = RentBlockMessage(block.Payload, block.NextKey, previousSignature, out var length);
        try
        {
            return key.Verify(rented.AsSpan(0, length), block.Signature);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static byte[] Seal(SigningKey lastNextKey, ReadOnlySpan<byte> lastSignature)
    {
        Span<byte> message = stackalloc byte[SealTag.Length + SigningKey.SignatureLength];
        WriteSealMessage(lastSignature, message);
        var seal = new byte[SigningKey.SignatureLength];
        lastNextKey.Sign(message, seal);
        return seal;
    }

    public static bool VerifySeal(VerifyingKey lastNextKey, ReadOnlySpan<byte> lastSignature, ReadOnlySpan<byte> seal)
    {
        Span<byte> message = stackalloc byte[SealTag.Length + SigningKey.SignatureLength];
        WriteSealMessage(lastSignature, message);
        return lastNextKey.Verify(message, seal);
    }

    private static void WriteSealMessage(ReadOnlySpan<byte> lastSignature, Span<byte> message)
    {
        SealTag.CopyTo(message);
        lastSignature.CopyTo(message[SealTag.Length..]);
    }

    private static byte[] RentBlockMessage(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> nextKey, ReadOnlySpan<byte> previousSignature, out int length)
    {
        length = BlockTag.Length + 4 + payload.Length + nextKey.Length + previousSignature.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        var message = rented.AsSpan(0, length);
        BlockTag.CopyTo(message);
        var offset = BlockTag.Length;
        BinaryPrimitives.WriteUInt32BigEndian(message[offset..], (uint)payload.Length);
        offset += 4;
        payload.CopyTo(message[offset..]);
        offset += payload.Length;
        nextKey.CopyTo(message[offset..]);
        offset += nextKey.Length;
        previousSignature.CopyTo(message[offset..]);
        return rented;
    }
}
