using System.IO.Compression;
using System.Net.Sockets;
using System.Text;

namespace Mesh.IntegrationTests;

/// <summary>
/// An HTTP/1.1 server on 127.0.0.1 that hands back what it was sent, the ways real APIs do: an
/// httpbin-style <c>/headers</c> echo, an error page quoting the key (in its status line too), the
/// key encoded (base64, base64url, hex, percent), the key as a response header's name and value,
/// and the echo compressed without being asked. The path picks the way; every answer closes.
/// </summary>
public sealed class EchoingProvider : LoopbackTcpServer
{
    private int _requests;

    /// <summary>Requests received so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    protected override async Task ServeAsync(TcpClient client)
    {
        var stream = client.GetStream();
        var head = new StringBuilder();
        var buffer = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && head.Length < 16 * 1024)
        {
            if (await stream.ReadAsync(buffer) == 0)
            {
                return;
            }

            head.Append((char)buffer[0]);
        }

        Interlocked.Increment(ref _requests);
        var lines = head.ToString().Split("\r\n");
        var path = lines[0].Split(' ')[1];
        var authorization = lines.Skip(1).FirstOrDefault(l => l.StartsWith("Authorization:", StringComparison.OrdinalIgnoreCase))?["Authorization:".Length..].Trim() ?? "";
        var key = authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..] : authorization;
        var ascii = Encoding.ASCII.GetBytes(authorization);

        var (status, headers, body) = path switch
        {
            "/v1/headers" => ("200 OK", $"Content-Type: application/json\r\nX-Echo: {authorization}\r\n", Text($"{{\"headers\":{{\"Authorization\":\"{authorization}\"}}}}")),
            "/v1/error" => ($"401 Key {key} is invalid", "Content-Type: text/html\r\n", Text($"<p>No such API key: <code>{key}</code></p>")),
            "/v1/encoded" => ("200 OK", "Content-Type: text/plain\r\n", Text(string.Join('\n',
                Convert.ToBase64String(ascii),
                Convert.ToBase64String(ascii).Replace('+', '-').Replace('/', '_').TrimEnd('='),
                Convert.ToHexString(ascii),
                Convert.ToHexStringLower(Encoding.ASCII.GetBytes(key)),
                Uri.EscapeDataString(authorization)))),
            "/v1/header-name" => ("200 OK", $"X-{key}: seen\r\nX-Key-Base64: {Convert.ToBase64String(Encoding.ASCII.GetBytes(key))}\r\n", Text("ok")),
            "/v1/gzip" => ("200 OK", "Content-Type: application/json\r\nContent-Encoding: gzip\r\n", Gzip(Text($"{{\"headers\":{{\"Authorization\":\"{authorization}\"}}}}"))),
            "/v1/compress" => ("200 OK", "Content-Encoding: compress\r\n", Text(authorization)),
            _ => ("404 Not Found", "", Text("no such echo")),
        };

        var response = Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\n{headers}Content-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(response);
        await stream.WriteAsync(body);
    }

    private static byte[] Text(string text) => Encoding.ASCII.GetBytes(text);

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(bytes);
        }

        return output.ToArray();
    }
}
