using System.Buffers;
using System.Buffers.Text;
using System.Collections.Immutable;
using MessagePack;
using Mesh.Contracts.Tokens.Encoding;

namespace Mesh.Contracts.HostCalls;

/// <summary>
/// A call that came over HTTP (the gateway): what the function may read of the request
/// (<c>http_info</c>) and what it may set of the response (<c>http_respond</c>), as MessagePack
/// arrays read as strictly as tokens. On NATS each travels base64url-encoded in one header
/// (<c>Mesh-Http-Request</c> on the call, <c>Mesh-Http-Response</c> on the reply); the body is
/// the input and the output, as for any call, so modules that know nothing of HTTP work unchanged.
/// </summary>
public static class HttpTrigger
{
    /// <summary>Request <c>[method, path, query, [[name, value]...]]</c>: path as sent (percent-encoded), query without its '?'.</summary>
    public sealed record Request(string Method, string Path, string Query, ImmutableArray<(string Name, string Value)> Headers);

    /// <summary>Response <c>[status, [[name, value]...]]</c>.</summary>
    public sealed record Response(int Status, ImmutableArray<(string Name, string Value)> Headers);

    /// <summary>Most headers a response may set, and longest name and value.</summary>
    public const int MaxResponseHeaders = 32;
    public const int MaxHeaderName = 128;
    public const int MaxHeaderValue = 4096;

    /// <summary>Longest header text (base64url) either way: the request's own limit is Kestrel's; this bounds what a node decodes.</summary>
    public const int MaxEncodedLength = 32 * 1024;

    /// <summary>
    /// Headers a function may not set: they describe the connection or the framing, which the
    /// gateway owns (a function that set <c>Content-Length</c> or <c>Transfer-Encoding</c> could
    /// split the response), or they name the server.
    /// </summary>
    public static readonly ImmutableHashSet<string> ReservedResponseHeaders = ImmutableHashSet.Create(
        StringComparer.OrdinalIgnoreCase,
        "connection", "content-length", "transfer-encoding", "keep-alive", "upgrade", "te", "trailer",
        "proxy-authenticate", "proxy-authorization", "proxy-connection", "date", "server", "alt-svc");

    public static byte[] Write(Request request)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(4);
        writer.Write(request.Method);
        writer.Write(request.Path);
        writer.Write(request.Query);
        HeaderList.Write(ref writer, request.Headers);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Write(Response response)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(2);
        writer.Write(response.Status);
        HeaderList.Write(ref writer, response.Headers);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static bool TryReadRequest(ReadOnlyMemory<byte> bytes, out Request? request, out string error)
    {
        request = null;
        try
        {
            var reader = new MessagePackReader(bytes);
            StrictReader.Array(ref reader, 4, "http request");
            var method = StrictReader.String(ref reader, 16, "method");
            var path = StrictReader.String(ref reader, 8192, "path");
            var query = StrictReader.String(ref reader, 8192, "query");
            var headers = HeaderList.Read(ref reader, 64, 8192);
            End(ref reader);
            if (!IsToken(method) || !path.StartsWith('/') || !IsVisible(path) || !IsVisible(query) || headers.Any(h => !IsToken(h.Name) || !IsFieldValue(h.Value)))
            {
                error = "a method, path, query or header holds characters HTTP does not allow there";
                return false;
            }

            request = new Request(method, path, query, headers);
            error = "";
            return true;
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException)
        {
            error = e.Message;
            return false;
        }
    }

    /// <summary>Reads a function's response and checks it: a status from 200 to 599 and headers a gateway may send as they are.</summary>
    public static bool TryReadResponse(ReadOnlyMemory<byte> bytes, out Response? response, out string error)
    {
        response = null;
        try
        {
            var reader = new MessagePackReader(bytes);
            StrictReader.Array(ref reader, 2, "http response");
            var status = StrictReader.Integer(ref reader, "status");
            var headers = HeaderList.Read(ref reader, MaxResponseHeaders, MaxHeaderValue);
            End(ref reader);
            response = new Response((int)Math.Clamp(status, int.MinValue, int.MaxValue), headers);
            error = Problem(response) ?? "";
            if (error.Length > 0)
            {
                response = null;
                return false;
            }

            return true;
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException)
        {
            error = e.Message;
            return false;
        }
    }

    /// <summary>Why a response may not be sent as it is, or null.</summary>
    public static string? Problem(Response response)
    {
        if (response.Status is < 200 or > 599)
        {
            return $"status {response.Status} is not from 200 to 599";
        }

        foreach (var (name, value) in response.Headers)
        {
            if (name.Length > MaxHeaderName || !IsToken(name))
            {
                return "a header name must be 1 to 128 letters, digits or !#$%&'*+-.^_`|~";
            }

            if (ReservedResponseHeaders.Contains(name))
            {
                return $"'{name}' is the gateway's to set";
            }

            if (!IsFieldValue(value))
            {
                return $"the value of '{name}' holds a control character";
            }
        }

        return null;
    }

    public static string Encode(byte[] bytes) => Base64Url.EncodeToString(bytes);

    /// <summary>Decodes a header's base64url text, bounded by <see cref="MaxEncodedLength"/>; null when it is not that.</summary>
    public static byte[]? Decode(string text)
    {
        if (text.Length == 0 || text.Length > MaxEncodedLength)
        {
            return null;
        }

        var bytes = new byte[Base64Url.GetMaxDecodedLength(text.Length)];
        return Base64Url.DecodeFromChars(text, bytes, out var consumed, out var written) == OperationStatus.Done && consumed == text.Length
            ? bytes[..written]
            : null;
    }

    /// <summary>RFC 9110 token: what a method and a header name are made of.</summary>
    public static bool IsToken(string text) =>
        text.Length > 0 && text.All(c => c < 0x7F && (char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c)));

    /// <summary>A header value with no control character (tab allowed), no CR or LF, ASCII only.</summary>
    public static bool IsFieldValue(string text) => text.All(c => c == '\t' || (c >= 0x20 && c < 0x7F));

    private static bool IsVisible(string text) => text.All(c => c > 0x20 && c < 0x7F);

    private static void End(ref MessagePackReader reader)
    {
        if (!reader.End)
        {
            throw new MessagePackSerializationException("bytes after the array");
        }
    }
}
