using System.Buffers;
using System.Buffers.Text;
using MessagePack;
using Mesh.Contracts.Tokens.Encoding;
using Mesh.Contracts.Wire;

namespace Mesh.Contracts.Tokens;

/// <summary>
/// Token bytes to and from their parts and their text form (base64url without padding, as carried
/// in the <c>Mesh-Token</c> header). Decoding never throws: bad input is a <see cref="MeshError"/>.
/// </summary>
public static class TokenCodec
{
    private static readonly SearchValues<char> Base64UrlAlphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    public static byte[] Encode(TokenEnvelope envelope) => MessagePackSerializer.Serialize(envelope, TokenResolver.Options);

    public static byte[] EncodeClaims(BlockClaims claims) => MessagePackSerializer.Serialize(claims, TokenResolver.Options);

    public static Result<TokenEnvelope> Decode(ReadOnlyMemory<byte> token) =>
        DecodeExact<TokenEnvelope>(token, "token", e => e.Version != TokenEnvelope.CurrentVersion);

    public static Result<BlockClaims> DecodeClaims(ReadOnlyMemory<byte> payload) => DecodeExact<BlockClaims>(payload, "block payload", _ => false);

    public static string ToText(ReadOnlySpan<byte> token) => Base64Url.EncodeToString(token);

    /// <summary>Decodes the text form, refusing anything longer than <paramref name="maxBytes"/> decoded.</summary>
    public static Result<byte[]> FromText(string? text, int maxBytes)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Result<byte[]>.Fail(ErrorCode.TokenMissing, "no token was presented");
        }

        text = text.Trim();
        if (text.Length > Base64Url.GetEncodedLength(maxBytes))
        {
            return Result<byte[]>.Fail(ErrorCode.TokenTooLarge, $"the token is longer than {maxBytes} bytes");
        }

        // Strict alphabet: the decoder would skip white space and padding, and a token has neither.
        if (text.AsSpan().ContainsAnyExcept(Base64UrlAlphabet))
        {
            return Result<byte[]>.Fail(ErrorCode.TokenMalformed, "the token is not base64url text");
        }

        var bytes = new byte[Base64Url.GetMaxDecodedLength(text.Length)];
        return Base64Url.DecodeFromChars(text, bytes, out var consumed, out var written) == OperationStatus.Done && consumed == text.Length
            ? Result<byte[]>.Ok(bytes[..written])
            : Result<byte[]>.Fail(ErrorCode.TokenMalformed, "the token is not base64url text");
    }

    // An unknown version stops reading early, so only a known layout has to end exactly at the end.
    private static Result<T> DecodeExact<T>(ReadOnlyMemory<byte> bytes, string what, Func<T, bool> stoppedEarly)
    {
        try
        {
            var value = MessagePackSerializer.Deserialize<T>(bytes, TokenResolver.Options, out var read);
            return read == bytes.Length || stoppedEarly(value)
                ? Result<T>.Ok(value)
                : Result<T>.Fail(ErrorCode.TokenMalformed, $"{what}: {bytes.Length - read} bytes after the end");
        }
        catch (MessagePackSerializationException e)
        {
            return Result<T>.Fail(ErrorCode.TokenMalformed, $"{what}: {Innermost(e).Message}");
        }
    }

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);
}
