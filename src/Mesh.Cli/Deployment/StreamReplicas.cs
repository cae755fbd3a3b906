using NATS.Client.JetStream;

namespace Mesh.Cli.Deployment;

/// <summary>
/// How many copies of a stream JetStream keeps: what the operator asked for (<c>--replicas</c>),
/// else what the stream already has, else 1. A command that was not asked never lowers a stream
/// deployed with three replicas back to one.
/// </summary>
public static class StreamReplicas
{
    /// <summary>
    /// Refuses more than one replica on a server that is not part of a cluster: nats-server takes
    /// such an update to an existing stream without a word and keeps one copy, so the operator
    /// would believe in copies that do not exist.
    /// </summary>
    public static void RequireCluster(NATS.Client.Core.INatsConnection connection, int? replicas)
    {
        if (replicas > 1 && string.IsNullOrEmpty(connection.ServerInfo?.Cluster))
        {
            throw CliException.Usage($"--replicas {replicas} needs a NATS cluster of at least {replicas} servers; the server this connected to is not clustered, so there would be one copy");
        }
    }

    public static async Task<int> ResolveAsync(NatsJSContext js, string stream, int? requested, CancellationToken cancellationToken) =>
        requested ?? await ExistingAsync(js, stream, cancellationToken) ?? 1;

    /// <summary>The stream's replica count, or null when there is no such stream.</summary>
    public static async Task<int?> ExistingAsync(NatsJSContext js, string stream, CancellationToken cancellationToken)
    {
        try
        {
            return (await js.GetStreamAsync(stream, cancellationToken: cancellationToken)).Info.Config.NumReplicas;
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            return null;
        }
    }

    /// <summary>Brings an existing stream to <paramref name="replicas"/>, keeping everything else and its messages.</summary>
    public static async Task SetAsync(NatsJSContext js, string stream, int replicas, CancellationToken cancellationToken)
    {
        var info = (await js.GetStreamAsync(stream, cancellationToken: cancellationToken)).Info;
        if (info.Config.NumReplicas != replicas)
        {
            await js.UpdateStreamAsync(info.Config with { NumReplicas = replicas }, cancellationToken);
        }
    }
}
