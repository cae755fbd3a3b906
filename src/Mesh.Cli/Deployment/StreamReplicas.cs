using NATS.Client.JetStream;

namespace Mesh.Cli.Deployment;

/// <summary>
/// How many copies of a stream JetStream keeps: what the operator asked for (<c>--replicas</c>),
/// else what the stream already has, else 1. A command that was not asked never lowers a stream
/// deployed with three replicas back to one.
/// </summary>
public static class StreamReplicas
{
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
