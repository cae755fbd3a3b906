using Mesh.Contracts.Wire;
using Mesh.Dashboard.Activity;
using Microsoft.Extensions.Hosting;
using NATS.Client.Core;

namespace Mesh.Dashboard;

/// <summary>
/// Follows <c>mesh.log.&gt;</c> live (what nodes publish for every invocation) into the
/// dashboard's <see cref="MeshActivity"/>: one subscription, whatever the number of pages open.
/// </summary>
public sealed class LogFeed(INatsConnection nats, MeshActivity activity) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var message in nats.SubscribeAsync<byte[]>("mesh.log.>", cancellationToken: stoppingToken))
            {
                foreach (var entry in FunctionLogLine.ParseLines(message.Data ?? []))
                {
                    activity.Record(entry);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
