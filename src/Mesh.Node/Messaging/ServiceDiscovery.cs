using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Contracts.Wire;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace Mesh.Node.Messaging;

/// <summary>
/// The node as a NATS micro service (protocol v1): <c>$SRV.PING</c>, <c>$SRV.INFO</c> and
/// <c>$SRV.STATS</c>, each also under <c>.mesh-node</c> and <c>.mesh-node.ID</c>, answered by every
/// node (no queue group) with the documented JSON, so <c>nats micro ls</c> and any client find
/// nodes and read their stats. Answered here rather than by NATS.Client.Services because that
/// library replies to any subject a requester names; these answers pass <see cref="ReplySubjects"/>
/// like every other reply.
/// </summary>
public sealed class ServiceDiscovery(
    INatsConnection nats,
    FunctionService functions,
    NodeStats stats,
    ReplySubjects replies,
    TimeProvider time,
    Tokens.VerifiedTokenCache tokens,
    Modules.ModuleCache modules,
    ILogger<ServiceDiscovery> logger) : BackgroundService
{
    public const string ServiceName = Mesh.Client.NodeReport.ServiceName;
    public const string Version = "0.1.0";
    public const string EndpointName = "functions";
    private const string Description = "Mesh node: runs WebAssembly functions with exactly the authority of each message's token";

    private readonly string _id = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
    private readonly string _started = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

    public string Id => _id;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await functions.Ready.WaitAsync(stoppingToken);
        var subjects = new[] { "$SRV.*", $"$SRV.*.{ServiceName}", $"$SRV.*.{ServiceName}.{_id}" };
        await Task.WhenAll(subjects.Select(subject => AnswerAsync(subject, stoppingToken)));
    }

    private async Task AnswerAsync(string subject, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var msg in nats.SubscribeAsync<NatsMemoryOwner<byte>>(subject, cancellationToken: stoppingToken))
            {
                msg.Data.Dispose();
                if (msg.ReplyTo is null)
                {
                    continue;
                }

                if (!replies.IsAllowed(msg.ReplyTo))
                {
                    stats.ReplyRefused();
                    Log.ReplyRefused(logger, msg.Subject, msg.ReplyTo);
                    continue;
                }

                var answer = msg.Subject.Split('.')[1] switch
                {
                    "PING" => Ping(),
                    "INFO" => Info(),
                    "STATS" => Stats(),
                    _ => null,
                };
                try
                {
                    if (answer is not null)
                    {
                        await nats.PublishAsync(msg.ReplyTo, JsonSerializer.SerializeToUtf8Bytes(answer), cancellationToken: stoppingToken);
                    }
                }
                catch (NatsException)
                {
                    // NATS is away or the asker gone: the next request is answered. A fault here
                    // must not end discovery, nor (as a failed hosted service) the node.
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the node no longer answers discovery.
        }
    }

    private JsonObject Common(string type) => new()
    {
        ["type"] = $"io.nats.micro.v1.{type}_response",
        ["name"] = ServiceName,
        ["id"] = _id,
        ["version"] = Version,
        ["metadata"] = new JsonObject(),
    };

    private JsonObject Ping() => Common("ping");

    private JsonObject Info()
    {
        var info = Common("info");
        info["description"] = Description;
        info["endpoints"] = new JsonArray(new JsonObject
        {
            ["name"] = EndpointName,
            ["subject"] = Subjects.FunctionPrefix + ">",
            ["queue_group"] = functions.QueueGroup,
            ["metadata"] = new JsonObject(),
        });
        return info;
    }

    private JsonObject Stats()
    {
        var data = stats.ToJson();
        // "ready": serving and current on revocations; false while draining or failing closed.
        data["ready"] = functions.IsReady;
        // The node's clock, for mesh doctor: tokens' times are checked against it.
        data["time"] = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);
        // How often a token was already verified here, and a module already compiled.
        data["token_cache"] = new JsonObject { ["hits"] = tokens.Lookups.Hits, ["misses"] = tokens.Lookups.Misses };
        data["module_cache"] = new JsonObject { ["hits"] = modules.Lookups.Hits, ["misses"] = modules.Lookups.Misses };
        var answer = Common("stats");
        answer["started"] = _started;
        answer["endpoints"] = new JsonArray(new JsonObject
        {
            ["name"] = EndpointName,
            ["subject"] = Subjects.FunctionPrefix + ">",
            ["queue_group"] = functions.QueueGroup,
            ["num_requests"] = stats.ReceivedCount,
            ["num_errors"] = stats.Errors,
            ["last_error"] = "",
            ["processing_time"] = stats.ProcessingNanoseconds,
            ["average_processing_time"] = stats.Invocations == 0 ? 0 : stats.ProcessingNanoseconds / stats.Invocations,
            ["data"] = data,
        });
        return answer;
    }
}
