using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Mesh.Contracts.Tokens;

/// <summary>
/// A SHA-256 value held in four longs: compared and hashed without allocating, so it serves as a
/// dictionary key on the hot path (module digests, the verified-token cache).
/// </summary>
public readonly record struct Sha256Digest(ulong A, ulong B, ulong C, ulong D)
{
    public const int Length = 32;
    public const string Prefix = "sha256:";

    public static Sha256Digest Of(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[Length];
        SHA256.HashData(data, hash);
        return FromBytes(hash);
    }

    public static Sha256Digest FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"a SHA-256 digest is {Length} bytes, got {bytes.Length}");
        }

        return new Sha256Digest(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));
    }

    /// <summary>Parses <c>sha256:</c> followed by 64 hex digits (either case).</summary>
    public static bool TryParse(string text, out Sha256Digest digest)
    {
        digest = default;
        if (!text.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || text.Length != Prefix.Length + 2 * Length)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Length];
        if (Convert.FromHexString(text.AsSpan(Prefix.Length), bytes, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != Length)
        {
            return false;
        }

        digest = FromBytes(bytes);
        return true;
    }

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, A);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], B);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], C);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], D);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }

    public override string ToString() => Prefix + Convert.ToHexStringLower(ToArray());
}
