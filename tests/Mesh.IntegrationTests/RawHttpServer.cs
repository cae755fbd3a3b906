using System.Net;
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
public sealed partial class RawHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly StringBuilder _received = new();
    private readonly Task _loop;

    public RawHttpServer()
    {
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

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

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var buffer = new byte[8192];
        var head = new StringBuilder();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
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
