using System.Net;
using System.Text;
using Mesh.Cli.Local;

namespace Mesh.IntegrationTests;

/// <summary>A real HTTP server on 127.0.0.1 for the HTTP capability's tests (HttpListener, no mocks).</summary>
public sealed class LoopbackHttpServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public LoopbackHttpServer()
    {
        Port = NatsServerProcess.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    private readonly HashSet<string> _flaky = [];
    private int _requests;

    /// <summary>Requests that reached the server: a refused request must not add to it.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _requests);
            var response = context.Response;
            var path = context.Request.Url!.AbsolutePath;
            // Each /flaky/... path fails once with 503, then answers: what a retry is for.
            if (path.StartsWith("/flaky/", StringComparison.Ordinal) && _flaky.Add(path))
            {
                response.StatusCode = 503;
                response.Close();
                continue;
            }

            // /wait/N answers after N milliseconds: a job or call that takes a while and then succeeds.
            if (path.StartsWith("/wait/", StringComparison.Ordinal) && int.TryParse(path["/wait/".Length..], out var wait))
            {
                _ = Task.Delay(wait).ContinueWith(_ => response.Close(), TaskScheduler.Default);
                continue;
            }

            switch (path)
            {
                case "/redirect":
                    response.StatusCode = 302;
                    response.RedirectLocation = "http://evil.example/steal";
                    break;
                case "/slow":
                    _ = Task.Delay(TimeSpan.FromSeconds(3)).ContinueWith(_ => response.Close(), TaskScheduler.Default);
                    continue;
                case "/huge":
                    var chunk = new byte[64 * 1024];
                    for (var i = 0; i < 80; i++)
                    {
                        await response.OutputStream.WriteAsync(chunk);
                    }

                    break;
                default:
                    var body = Encoding.UTF8.GetBytes($"{context.Request.HttpMethod} {context.Request.Url.PathAndQuery} from loopback");
                    response.ContentType = "text/plain";
                    await response.OutputStream.WriteAsync(body);
                    break;
            }

            response.Close();
        }
    }
}
