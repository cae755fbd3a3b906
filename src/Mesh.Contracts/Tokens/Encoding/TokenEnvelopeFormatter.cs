using System.Collections.Immutable;
using MessagePack;
using MessagePack.Formatters;
using Mesh.Contracts.Keys;

namespace Mesh.Contracts.Tokens.Encoding;

/// <summary>
/// <c>[version, rootKey(32), [[payload, nextKey(32), signature(64)]...], nextSecret(32)|nil, seal(64)|nil]</c>
/// </summary>
internal sealed class TokenEnvelopeFormatter : IMessagePackFormatter<TokenEnvelope>
{
    public const int MaxBlocks = 64;
    public const int MaxPayload = 64 * 1024;

    public void Serialize(ref MessagePackWriter writer, TokenEnvelope value, MessagePackSerializerOptions options)
    {
        writer.WriteArrayHeader(5);
        writer.Write(value.Version);
        writer.Write(value.RootKey);
        writer.WriteArrayHeader(value.Blocks.Length);
        foreach (var block in value.Blocks)
        {
            writer.WriteArrayHeader(3);
            writer.Write(block.Payload);
            writer.Write(block.NextKey);
            writer.Write(block.Signature);
        }

        WriteOptional(ref writer, value.NextSecret);
        WriteOptional(ref writer, value.Seal);
    }

    public TokenEnvelope Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        options.Security.DepthStep(ref reader);
        var fields = StrictReader.List(ref reader, 16, "token");
        var version = fields > 0 ? (int)Math.Clamp(StrictReader.Integer(ref reader, "token version"), 0, int.MaxValue) : 0;
        if (version != TokenEnvelope.CurrentVersion)
        {
            // Stop before reading a layout this version does not know; the caller reports the version.
            reader.Depth--;
            return new TokenEnvelope(version, [], [], null, null);
        }

        if (fields != 5)
        {
            throw new MessagePackSerializationException($"token: expected 5 fields, found {fields}");
        }

        var rootKey = StrictReader.Bytes(ref reader, KeyText.RawKeyLength, "root key");
        var count = StrictReader.List(ref reader, MaxBlocks, "blocks");
        var blocks = ImmutableArray.CreateBuilder<SignedBlock>(count);
        for (var i = 0; i < count; i++)
        {
            options.Security.DepthStep(ref reader);
            StrictReader.Array(ref reader, 3, "block");
            blocks.Add(new SignedBlock(
                StrictReader.Bytes(ref reader, 1, MaxPayload, "block payload"),
                StrictReader.Bytes(ref reader, KeyText.RawKeyLength, "block next key"),
                StrictReader.Bytes(ref reader, SigningKey.SignatureLength, "block signature")));
            reader.Depth--;
        }

        var secret = reader.TryReadNil() ? null : StrictReader.Bytes(ref reader, KeyText.RawKeyLength, "next secret");
        var seal = reader.TryReadNil() ? null : StrictReader.Bytes(ref reader, SigningKey.SignatureLength, "seal");
        if ((secret is null) == (seal is null))
        {
            throw new MessagePackSerializationException("token: exactly one of next secret and seal must be present");
        }

        reader.Depth--;
        return new TokenEnvelope(version, rootKey, blocks.MoveToImmutable(), secret, seal);
    }

    private static void WriteOptional(ref MessagePackWriter writer, byte[]? bytes)
    {
        if (bytes is null)
        {
            writer.WriteNil();
        }
        else
        {
            writer.Write(bytes);
        }
    }
}
