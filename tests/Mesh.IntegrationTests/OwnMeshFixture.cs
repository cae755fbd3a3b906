using Mesh.Cli.Local;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.IntegrationTests;

/// <summary>
/// A nats-server and nodes of one test class's own, for tests whose nodes are set up unlike the
/// shared one (other settings, a resolver of the test's, a node process): on the shared server two
/// differently set up nodes in two queue groups would both take every call.
/// </summary>
public abstract class OwnMeshFixture : IAsyncLifetime
{
    private NatsServerProcess? _nats;

    public MeshCluster Mesh { get; private set; } = null!;

    public string Url => _nats!.Url;

    protected virtual int Nodes => 1;

    protected virtual IDictionary<string, string?>? Settings => null;

    protected virtual void AddServices(IServiceCollection services)
    {
    }

    public virtual async Task InitializeAsync()
    {
        _nats = await NatsServerProcess.StartAsync();
        Mesh = await MeshCluster.StartAsync(_nats.Url, Nodes, Settings, AddServices);
    }

    public virtual async Task DisposeAsync()
    {
        await Mesh.DisposeAsync();
        _nats?.Dispose();
    }
}
