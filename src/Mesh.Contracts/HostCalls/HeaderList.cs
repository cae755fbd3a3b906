using System.Collections.Immutable;
using MessagePack;
using Mesh.Contracts.Tokens.Encoding;

namespace Mesh.Contracts.HostCalls;

/// <summary>HTTP headers as the guest ABI writes them: a MessagePack array of <c>[name, value]</c> pairs, read strictly and bounded.</summary>
internal static class HeaderList
{
    public static ImmutableArray<(string Name, string Value)> Read(ref MessagePackReader reader, int maxHeaders, int maxValue)
    {
        var count = StrictReader.List(ref reader, maxHeaders, "headers");
        var headers = ImmutableArray.CreateBuilder<(string Name, string Value)>(count);
        for (var i = 0; i < count; i++)
        {
            StrictReader.Array(ref reader, 2, "header");
            headers.Add((StrictReader.String(ref reader, 256, "header name"), StrictReader.String(ref reader, maxValue, "header value")));
        }

        return headers.MoveToImmutable();
    }

    public static void Write(ref MessagePackWriter writer, ImmutableArray<(string Name, string Value)> headers)
    {
        writer.WriteArrayHeader(headers.Length);
        foreach (var (name, value) in headers)
        {
            writer.WriteArrayHeader(2);
            writer.Write(name);
            writer.Write(value);
        }
    }
}
