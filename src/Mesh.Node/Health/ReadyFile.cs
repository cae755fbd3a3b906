using Mesh.Node.Messaging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Mesh.Node.Health;

/// <summary>
/// With <c>Mesh:Health:ReadyFile</c> set, a file that exists exactly while the node serves: written
/// once it is subscribed and registered, removed as soon as it starts draining. Container health
/// checks test for it (<c>test -f</c>) without the node opening a port.
/// </summary>
public sealed class ReadyFile(FunctionService service, IOptions<NodeOptions> options) : IHostedService
{
    private readonly string? _path = options.Value.Health.ReadyFile;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_path is not null)
        {
            File.Delete(_path);
            _ = service.Ready.ContinueWith(_ => File.WriteAllText(_path, "ready\n"), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (_path is not null)
        {
            File.Delete(_path);
        }

        return Task.CompletedTask;
    }
}
