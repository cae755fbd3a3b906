using System.Net;
using System.Net.Sockets;

namespace Mesh.IntegrationTests;

/// <summary>
/// A TCP server on 127.0.0.1 (a free port) that hands every connection to <see cref="ServeAsync"/>
/// on a task of its own, for test servers that speak HTTP byte by byte as an attacked or hostile
/// server would. Disposing stops accepting and waits a moment for the loop to end.
/// </summary>
public abstract class LoopbackTcpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Task _loop;

    protected LoopbackTcpServer()
    {
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Cancelled when the server stops.</summary>
    protected CancellationTokenSource Stop { get; } = new();

    public void Dispose()
    {
        Stop.Cancel();
        _listener.Stop();
        _loop.ContinueWith(_ => { }, TaskScheduler.Default).Wait(TimeSpan.FromSeconds(5));
        Stop.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>One connection, from accept to close (the caller disposes the client).</summary>
    protected abstract Task ServeAsync(TcpClient client);

    private async Task AcceptAsync()
    {
        while (!Stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(Stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        await ServeAsync(client);
                    }
                    catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
                    {
                        // The other end went away, or the server stopped: nothing to answer.
                    }
                }
            });
        }
    }
}
