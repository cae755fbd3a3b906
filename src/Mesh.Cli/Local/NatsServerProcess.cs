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

    private readonly string _directory;
    private readonly string[] _arguments;
    private readonly Dictionary<string, string> _environment;
    private Process _process;

    private NatsServerProcess(Process process, string directory, int port, string[] arguments, Dictionary<string, string> environment)
    {
        _process = process;
        _directory = directory;
        _arguments = arguments;
        _environment = environment;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The running server's process id (for its CPU time).</summary>
    public int ProcessId => _process.Id;

    public string Url => $"nats://127.0.0.1:{Port}";

    /// <param name="port">A port to listen on; by default a free one.</param>
    public static Task<NatsServerProcess> StartAsync(int? port = null)
    {
        var directory = Directory.CreateTempSubdirectory("mesh-nats-").FullName;
        port ??= FreePort();
        return StartAsync(["-js", "-a", "127.0.0.1", "-p", port.Value.ToString(), "-sd", directory], new Dictionary<string, string>(), directory, port.Value);
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
        var server = new NatsServerProcess(Launch(arguments, environment), directory, port, arguments, environment);
        await WaitForPortAsync(port, TimeSpan.FromSeconds(10));
        return server;
    }

    /// <summary>Kills the server and starts it again on the same port with the same storage, as a crash and restart would.</summary>
    public async Task RestartAsync(TimeSpan downtime)
    {
        Kill();
        _process.Dispose();
        await Task.Delay(downtime);
        _process = Launch(_arguments, _environment);
        await WaitForPortAsync(Port, TimeSpan.FromSeconds(10));
    }

    private static Process Launch(string[] arguments, Dictionary<string, string> environment)
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
        return process;
    }

    private void Kill()
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
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Kill();
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
