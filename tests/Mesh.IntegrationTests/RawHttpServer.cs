using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Mesh.IntegrationTests;

/// <summary>
/// An HTTP/1.1 server on 127.0.0.1 that keeps every byte it receives, to see what reached the wire
/// as an attacked server would: a smuggled header or a second request shows in the raw bytes, where
/// a parsing server (HttpListener) would already have split or dropped it. Answers each request
/// head with 200 and closes the connection.
/// </summary>
public sealed partial class RawHttpServer : LoopbackTcpServer
{
    private readonly StringBuilder _received = new();

    /// <summary>Everything received so far, as Latin-1 text.</summary>
    public string Received
    {
        get
        {
            lock (_received)
            {
                return _received.ToString();
            }
        }
    }

    /// <summary>Request lines (<c>METHOD target HTTP/1.x</c>) received so far: two for one call is smuggling.</summary>
    public IReadOnlyList<string> RequestLines => [.. RequestLine().Matches(Received).Select(m => m.Value.TrimEnd('\r'))];

    protected override async Task ServeAsync(TcpClient client)
    {
        var stream = client.GetStream();
        var buffer = new byte[8192];
        var head = new StringBuilder();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Stop.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                var text = Encoding.Latin1.GetString(buffer, 0, read);
                lock (_received)
                {
                    _received.Append(text);
                }

                head.Append(text);
                if (head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    break;
                }
            }

            var answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray();
            await stream.WriteAsync(answer, timeout.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
        {
            // The client went away: what it sent is recorded.
        }
    }

    [GeneratedRegex(@"^[A-Z]+ \S+ HTTP/1\.[01]\r?$", RegexOptions.Multiline)]
    private static partial Regex RequestLine();
}
