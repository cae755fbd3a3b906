using NATS.NKeys;

namespace Mesh.Contracts.Keys;

/// <summary>
/// The text form of Mesh keys: NATS nkeys of the operator type (public keys start with <c>O</c>,
/// seeds with <c>SO</c>). Base32 with a type prefix and a CRC-16, so a mistyped or truncated key is
/// caught instead of silently trusting the wrong issuer, and NATS's <c>nk</c> tooling reads them.
/// </summary>
public static class KeyText
{
    public const int RawKeyLength = 32;

    // nkeys prefix bytes: 'O' (operator) for the public key, 'S' then 'O' for its seed.
    private const byte OperatorPrefix = 14 << 3;
    private const byte SeedPrefix = 18 << 3;
    private const int PublicEncodedLength = 56;
    private const int SeedEncodedLength = 58;

    public static string EncodePublic(ReadOnlySpan<byte> rawPublicKey) => EncodePublic(OperatorPrefix, rawPublicKey);

    public static string EncodeSeed(ReadOnlySpan<byte> rawSeed) => EncodeSeed(OperatorPrefix, rawSeed);

    /// <summary>Decodes a public key; the error says what is wrong without echoing secrets.</summary>
    public static bool TryDecodePublic(string text, out byte[] rawPublicKey, out string error)
    {
        rawPublicKey = [];
        text = text.Trim();
        if (text.Length != PublicEncodedLength || !IsValidPublic(text))
        {
            error = text.StartsWith('S')
                ? "this is a seed (private key), not a public key"
                : $"not a Mesh public key: expected {PublicEncodedLength} characters starting with 'O' and a valid checksum";
            return false;
        }

        var data = FromBase32(text);
        rawPublicKey = data.AsSpan(1, RawKeyLength).ToArray();
        error = "";
        return true;
    }

    public static bool TryDecodeSeed(string text, out byte[] rawSeed, out string error)
    {
        rawSeed = [];
        text = text.Trim();
        if (text.Length != SeedEncodedLength || !text.StartsWith("SO", StringComparison.Ordinal))
        {
            error = $"not a Mesh seed: expected {SeedEncodedLength} characters starting with 'SO'";
            return false;
        }

        try
        {
            // The library checks the checksum; we only take the raw bytes out.
            using var pair = KeyPair.FromSeed(text);
        }
        catch (Exception e) when (e is NKeysException or FormatException or ArgumentException or IndexOutOfRangeException)
        {
            error = "not a Mesh seed: the checksum does not match (mistyped or truncated?)";
            return false;
        }

        var data = FromBase32(text);
        rawSeed = data.AsSpan(2, RawKeyLength).ToArray();
        error = "";
        return true;
    }

    private static bool IsValidPublic(string text)
    {
        try
        {
            return KeyPair.IsValidPublicKey(PrefixByte.Operator, text);
        }
        catch (Exception e) when (e is NKeysException or FormatException or ArgumentException or IndexOutOfRangeException)
        {
            return false;
        }
    }

    // 'X' (curve): X25519 keys, the nkeys "xkey" type, for the secrets service's sealing key.
    private const byte CurvePrefix = 23 << 3;

    /// <summary>An X25519 public key as text: 56 characters starting with 'X'.</summary>
    public static string EncodeCurvePublic(ReadOnlySpan<byte> rawPublicKey) => EncodePublic(CurvePrefix, rawPublicKey);

    /// <summary>An X25519 private key as text: 58 characters starting with 'SX'.</summary>
    public static string EncodeCurveSeed(ReadOnlySpan<byte> rawSeed) => EncodeSeed(CurvePrefix, rawSeed);

    private static string EncodePublic(byte prefix, ReadOnlySpan<byte> rawPublicKey)
    {
        RequireRawLength(rawPublicKey);
        Span<byte> data = stackalloc byte[1 + RawKeyLength + 2];
        data[0] = prefix;
        rawPublicKey.CopyTo(data[1..]);
        AppendCrc(data);
        return ToBase32(data);
    }

    // nkeys seeds: 'S' and the key's type share the first two bytes.
    private static string EncodeSeed(byte prefix, ReadOnlySpan<byte> rawSeed)
    {
        RequireRawLength(rawSeed);
        Span<byte> data = stackalloc byte[2 + RawKeyLength + 2];
        data[0] = (byte)(SeedPrefix | (prefix >> 5));
        data[1] = (byte)((prefix & 31) << 3);
        rawSeed.CopyTo(data[2..]);
        AppendCrc(data);
        return ToBase32(data);
    }

    public static bool TryDecodeCurvePublic(string text, out byte[] rawPublicKey, out string error)
    {
        rawPublicKey = [];
        text = text.Trim();
        if (text.Length != PublicEncodedLength || !text.StartsWith('X') || !ChecksumHolds(text, 1 + RawKeyLength + 2))
        {
            error = text.StartsWith("SX", StringComparison.Ordinal)
                ? "this is a sealing seed (private key), not its public key"
                : $"not a sealing public key: expected {PublicEncodedLength} characters starting with 'X' and a valid checksum";
            return false;
        }

        rawPublicKey = FromBase32(text).AsSpan(1, RawKeyLength).ToArray();
        error = "";
        return true;
    }

    public static bool TryDecodeCurveSeed(string text, out byte[] rawSeed, out string error)
    {
        rawSeed = [];
        text = text.Trim();
        if (text.Length != SeedEncodedLength || !text.StartsWith("SX", StringComparison.Ordinal) || !ChecksumHolds(text, 2 + RawKeyLength + 2))
        {
            error = $"not a sealing seed: expected {SeedEncodedLength} characters starting with 'SX' and a valid checksum";
            return false;
        }

        rawSeed = FromBase32(text).AsSpan(2, RawKeyLength).ToArray();
        error = "";
        return true;
    }

    private static bool ChecksumHolds(string text, int length)
    {
        if (text.Any(c => !(c is >= 'A' and <= 'Z' or >= '2' and <= '7')))
        {
            return false;
        }

        var data = FromBase32(text);
        if (data.Length != length)
        {
            return false;
        }

        var expected = data[^2..];
        AppendCrc(data);
        return data[^2] == expected[0] && data[^1] == expected[1];
    }

    private static void RequireRawLength(ReadOnlySpan<byte> raw)
    {
        if (raw.Length != RawKeyLength)
        {
            throw new ArgumentException($"a raw Ed25519 key is {RawKeyLength} bytes, got {raw.Length}");
        }
    }

    private static string ToBase32(ReadOnlySpan<byte> data)
    {
        Span<char> chars = stackalloc char[Base32.GetEncodedLength(data)];
        var written = Base32.ToBase32(data, chars);
        return new string(chars[..written]);
    }

    private static byte[] FromBase32(string text)
    {
        var data = new byte[Base32.GetDataLength(text)];
        var read = Base32.FromBase32(text, data);
        return data[..read];
    }

    // CRC-16/XMODEM little-endian after the data: the nkeys checksum.
    private static void AppendCrc(Span<byte> data)
    {
        var body = data[..^2];
        ushort crc = 0;
        foreach (var b in body)
        {
            crc ^= (ushort)(b << 8);
            for (var i = 0; i < 8; i++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            }
        }

        data[^2] = (byte)crc;
        data[^1] = (byte)(crc >> 8);
    }
}
