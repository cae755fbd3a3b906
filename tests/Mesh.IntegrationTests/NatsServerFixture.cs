using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using Mesh.Cli.Local;

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

[CollectionDefinition(Name)]
public sealed class NatsServerDefinition : ICollectionFixture<NatsServerFixture>
{
    public const string Name = "nats";
}
