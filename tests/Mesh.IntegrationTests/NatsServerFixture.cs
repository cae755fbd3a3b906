using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;

namespace Mesh.IntegrationTests;

/// <summary>
/// A real nats-server with JetStream for the tests: a container through Testcontainers when a
/// Docker engine answers, otherwise the nats-server binary as a local process on loopback (the
/// path CI and this machine take: they have no Docker engine).
/// </summary>
public sealed class NatsServerFixture : IAsyncLifetime
{
    private IContainer? _container;
    private NatsServerProcess? _process;
    private MeshCluster? _shared;

    public string Url { get; private set; } = "";

    public string How { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (await TryContainerAsync())
        {
            return;
        }

        _process = await NatsServerProcess.StartAsync();
        Url = _process.Url;
        How = "nats-server process";
    }

    /// <summary>
    /// One node and issuer shared by the tests of the collection: a node per test would cost an
    /// engine per test (each one thousands of memory mappings) for nothing.
    /// </summary>
    public async Task<MeshCluster> SharedMeshAsync() => _shared ??= await MeshCluster.StartAsync(Url);

    public async Task DisposeAsync()
    {
        if (_shared is not null)
        {
            await _shared.DisposeAsync();
        }

        if (_container is not null)
        {
            await _container.DisposeAsync();
        }

        _process?.Dispose();
    }

    private async Task<bool> TryContainerAsync()
    {
        try
        {
            var container = new ContainerBuilder("nats:2.10-alpine")
                .WithCommand("-js")
                .WithPortBinding(4222, true)
                .WithWaitStrategy(Wait.ForUnixContainer().UntilInternalTcpPortIsAvailable(4222))
                .Build();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await container.StartAsync(timeout.Token);
            _container = container;
            Url = $"nats://{container.Hostname}:{container.GetMappedPublicPort(4222)}";
            How = "Testcontainers";
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // No Docker engine (DockerUnavailableException) or no image: use the local binary.
            return false;
        }
    }
}

/// <summary>A nats-server process on a free loopback port with its own JetStream directory.</summary>
public sealed class NatsServerProcess : IDisposable
{
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

    public static async Task<NatsServerProcess> StartAsync()
    {
        var binary = new[] { "/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("nats-server is not installed: run scripts/install-prerequisites.sh (apt-get install nats-server)");
        var directory = Directory.CreateTempSubdirectory("mesh-nats-").FullName;
        var port = FreePort();
        var process = Process.Start(new ProcessStartInfo(binary, ["-js", "-a", "127.0.0.1", "-p", port.ToString(), "-sd", directory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("nats-server did not start");
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

[CollectionDefinition(Name)]
public sealed class NatsServerDefinition : ICollectionFixture<NatsServerFixture>
{
    public const string Name = "nats";
}
