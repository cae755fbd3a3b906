using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Mesh.Cli.Local;

/// <summary>
/// A nats-server process with JetStream on a free loopback port and its own temporary storage:
/// what tests, benchmarks and a local mesh start. Listens on 127.0.0.1 only.
/// </summary>
public sealed class NatsServerProcess : IDisposable
{
    // Debian's package installs to /usr/sbin, which is not on every PATH.
    private static readonly string[] Locations = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];

    private readonly Process _process;
    private readonly string _directory;

    private NatsServerProcess(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public static Task<NatsServerProcess> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("mesh-nats-").FullName;
        var port = FreePort();
        return StartAsync(["-js", "-a", "127.0.0.1", "-p", port.ToString(), "-sd", directory], new Dictionary<string, string>(), directory, port);
    }

    /// <summary>
    /// A server run from a configuration file (such as deploy/nats-cluster/nats.conf) with the given
    /// environment; <c>NATS_STORE</c> is set to a temporary directory of its own.
    /// </summary>
    public static Task<NatsServerProcess> StartWithConfigAsync(string config, int port, IReadOnlyDictionary<string, string> environment)
    {
        var directory = Directory.CreateTempSubdirectory("mesh-nats-").FullName;
        return StartAsync(["-c", config], new Dictionary<string, string>(environment) { ["NATS_STORE"] = directory }, directory, port);
    }

    private static async Task<NatsServerProcess> StartAsync(string[] arguments, Dictionary<string, string> environment, string directory, int port)
    {
        var binary = Locations.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("nats-server is not installed: run scripts/install-prerequisites.sh (apt-get install nats-server)");
        var start = new ProcessStartInfo(binary, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("nats-server did not start");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new NatsServerProcess(process, directory, port);
        await WaitForPortAsync(port, TimeSpan.FromSeconds(10));
        return server;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // JetStream may still be flushing; a temp directory left behind is harmless.
        }
    }

    private static async Task WaitForPortAsync(int port, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(20);
            }
        }

        throw new TimeoutException($"nats-server did not listen on {port} within {timeout}");
    }
}
