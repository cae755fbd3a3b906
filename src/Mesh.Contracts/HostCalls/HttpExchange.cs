using System.Buffers;
using System.Collections.Immutable;
using MessagePack;
using Mesh.Contracts.Tokens.Encoding;

namespace Mesh.Contracts.HostCalls;

/// <summary>
/// <c>mesh.http_request</c>'s messages, MessagePack arrays read as strictly as tokens:
/// request <c>[method, url, [[name, value]...], body|nil]</c>, response <c>[status, [[name, value]...], body]</c>.
/// </summary>
public static class HttpExchange
{
    public sealed record Request(string Method, string Url, ImmutableArray<(string Name, string Value)> Headers, byte[] Body);

    public sealed record Response(int Status, ImmutableArray<(string Name, string Value)> Headers, byte[] Body);

    public static bool TryReadRequest(ReadOnlyMemory<byte> bytes, out Request? request, out string error)
    {
        request = null;
        try
        {
            var reader = new MessagePackReader(bytes);
            StrictReader.Array(ref reader, 4, "http request");
            var method = StrictReader.String(ref reader, 16, "method");
            var url = StrictReader.String(ref reader, 4096, "url");
            var headers = HeaderList.Read(ref reader, 64, 8192);
            var body = reader.TryReadNil() ? [] : StrictReader.Bytes(ref reader, 0, int.MaxValue, "body");
            if (!reader.End)
            {
                throw new MessagePackSerializationException("bytes after the request");
            }

            request = new Request(method, url, headers, body);
            error = "";
            return true;
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException)
        {
            error = e.Message;
            return false;
        }
    }

    public static byte[] WriteRequest(Request request)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(4);
        writer.Write(request.Method);
        writer.Write(request.Url);
        HeaderList.Write(ref writer, request.Headers);
        writer.Write(request.Body);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] WriteResponse(Response response)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(3);
        writer.Write(response.Status);
        HeaderList.Write(ref writer, response.Headers);
        writer.Write(response.Body);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static Response ReadResponse(ReadOnlyMemory<byte> bytes)
    {
        var reader = new MessagePackReader(bytes);
        StrictReader.Array(ref reader, 3, "http response");
        var status = (int)StrictReader.Integer(ref reader, "status");
        var headers = HeaderList.Read(ref reader, 64, 8192);
        return new Response(status, headers, StrictReader.Bytes(ref reader, 0, int.MaxValue, "body"));
    }
}
