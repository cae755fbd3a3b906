using Mesh.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace Mesh.Dashboard;

/// <summary>
/// Asks every node for its stats every <see cref="DashboardOptions.NodesInterval"/> and keeps the
/// last answers: the pages read them, so an open page costs the nodes nothing.
/// </summary>
public sealed class NodesFeed(INatsConnection nats, IOptions<DashboardOptions> options, TimeProvider time) : BackgroundService
{
    private readonly NodeRates _rates = new();
    private volatile IReadOnlyList<NodeView> _nodes = [];

    public IReadOnlyList<NodeView> Nodes => _nodes;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var nodes = await NodeReport.GatherAsync(nats, stoppingToken);
                _nodes = _rates.Next(nodes, time.GetTimestamp(), time);
            }
            catch (NatsException)
            {
                // NATS away: the page keeps the last answers until it is back.
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await Task.Delay(options.Value.NodesInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
