using MessagePack;

namespace Mesh.Contracts.Tokens.Encoding;

/// <summary>
/// Reading helpers that refuse anything but the exact shape: arrays of the exact arity, the exact
/// types, no extension types, no maps (so no duplicate keys), and bounded lengths.
/// </summary>
internal static class StrictReader
{
    public static void Array(ref MessagePackReader reader, int arity, string what)
    {
        if (reader.NextMessagePackType != MessagePackType.Array)
        {
            throw new MessagePackSerializationException($"{what}: expected an array, found {reader.NextMessagePackType}");
        }

        var count = reader.ReadArrayHeader();
        if (count != arity)
        {
            throw new MessagePackSerializationException($"{what}: expected {arity} fields, found {count}");
        }
    }

    /// <summary>An array of <paramref name="shortest"/> to <paramref name="longest"/> fields (a record whose last fields are optional); returns how many.</summary>
    public static int ArrayOf(ref MessagePackReader reader, int shortest, int longest, string what)
    {
        if (reader.NextMessagePackType != MessagePackType.Array)
        {
            throw new MessagePackSerializationException($"{what}: expected an array, found {reader.NextMessagePackType}");
        }

        var count = reader.ReadArrayHeader();
        if (count < shortest || count > longest)
        {
            throw new MessagePackSerializationException($"{what}: expected {shortest} to {longest} fields, found {count}");
        }

        return count;
    }

    public static int List(ref MessagePackReader reader, int max, string what)
    {
        if (reader.NextMessagePackType != MessagePackType.Array)
        {
            throw new MessagePackSerializationException($"{what}: expected a list, found {reader.NextMessagePackType}");
        }

        var count = reader.ReadArrayHeader();
        if (count > max)
        {
            throw new MessagePackSerializationException($"{what}: {count} entries, at most {max}");
        }

        return count;
    }

    public static byte[] Bytes(ref MessagePackReader reader, int exactLength, string what) =>
        Bytes(ref reader, exactLength, exactLength, what);

    public static byte[] Bytes(ref MessagePackReader reader, int minLength, int maxLength, string what)
    {
        if (reader.NextMessagePackType != MessagePackType.Binary)
        {
            throw new MessagePackSerializationException($"{what}: expected bytes, found {reader.NextMessagePackType}");
        }

        var sequence = reader.ReadBytes() ?? throw new MessagePackSerializationException($"{what}: missing");
        if (sequence.Length < minLength || sequence.Length > maxLength)
        {
            throw new MessagePackSerializationException($"{what}: {sequence.Length} bytes, expected {minLength}..{maxLength}");
        }

        return System.Buffers.BuffersExtensions.ToArray(sequence);
    }

    public static string String(ref MessagePackReader reader, int maxLength, string what)
    {
        if (reader.NextMessagePackType != MessagePackType.String)
        {
            throw new MessagePackSerializationException($"{what}: expected a string, found {reader.NextMessagePackType}");
        }

        var value = reader.ReadString() ?? throw new MessagePackSerializationException($"{what}: missing");
        return value.Length <= maxLength ? value : throw new MessagePackSerializationException($"{what}: longer than {maxLength}");
    }

    public static long Integer(ref MessagePackReader reader, string what) =>
        reader.NextMessagePackType == MessagePackType.Integer
            ? reader.ReadInt64()
            : throw new MessagePackSerializationException($"{what}: expected an integer, found {reader.NextMessagePackType}");

    public static long? OptionalInteger(ref MessagePackReader reader, string what) =>
        reader.TryReadNil() ? null : Integer(ref reader, what);

    public static bool Boolean(ref MessagePackReader reader, string what) =>
        reader.NextMessagePackType == MessagePackType.Boolean
            ? reader.ReadBoolean()
            : throw new MessagePackSerializationException($"{what}: expected a boolean, found {reader.NextMessagePackType}");
}
