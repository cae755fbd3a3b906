using System.IO.Compression;

namespace Mesh.Node.Capabilities;

/// <summary>
/// An HTTP answer's body as its <c>Content-Encoding</c> says to read it, for answers the node must
/// search before the guest reads them (a request that carried a secret): gzip, deflate (zlib) or
/// brotli, one layer, decoded no further than the response limit, so a compression bomb costs the
/// node no more than an answer of that size would.
/// </summary>
public static class ResponseDecoding
{
    /// <summary>The problem when the decoded body is larger than the limit.</summary>
    public const string TooLarge = "larger than the response limit once decoded";

    /// <summary>The decoded body, or null with <paramref name="problem"/>.</summary>
    public static byte[]? Decode(byte[] body, ICollection<string> encodings, long limit, out string problem)
    {
        var layers = encodings.Select(e => e.Trim().ToLowerInvariant()).Where(e => e is not ("" or "identity")).ToArray();
        problem = "";
        if (layers.Length == 0)
        {
            return body;
        }

        if (layers.Length > 1)
        {
            problem = $"encoded {layers.Length} times ('{string.Join(", ", layers.Select(l => Contracts.Wire.PrintableText.Clean(l, 32)))}')";
            return null;
        }

        using var input = new MemoryStream(body, writable: false);
        using Stream? decoder = layers[0] switch
        {
            "gzip" or "x-gzip" => new GZipStream(input, CompressionMode.Decompress),
            "deflate" => new ZLibStream(input, CompressionMode.Decompress),
            "br" => new BrotliStream(input, CompressionMode.Decompress),
            _ => null,
        };
        if (decoder is null)
        {
            problem = $"encoded as '{Contracts.Wire.PrintableText.Clean(layers[0], 32)}'";
            return null;
        }

        try
        {
            using var output = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = decoder.Read(chunk)) > 0)
            {
                if (output.Length + read > limit)
                {
                    problem = TooLarge;
                    return null;
                }

                output.Write(chunk, 0, read);
            }

            return output.ToArray();
        }
        catch (InvalidDataException)
        {
            problem = $"encoded as '{layers[0]}' but not readable as such";
            return null;
        }
    }
}
