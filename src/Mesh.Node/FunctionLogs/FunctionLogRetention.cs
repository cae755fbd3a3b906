using Mesh.Contracts.Wire;
using NATS.Client.JetStream.Models;

namespace Mesh.Node.FunctionLogs;

/// <summary>
/// The stream that keeps recent function logs for <c>mesh logs</c>: an hour of them, at most
/// 64 MiB, oldest dropped first, one replica (logs are best effort: in a cluster they must not
/// take replication from revocations and jobs; losing the server that holds them loses them). Declared by <c>mesh deploy</c>; nodes only publish into it (a
/// node's NATS user needs no JetStream rights for logs), and without it logs are live only.
/// </summary>
public static class FunctionLogRetention
{
    public static StreamConfig Config() => new(Subjects.LogStream, [Subjects.LogPrefix + ">"])
    {
        MaxAge = TimeSpan.FromHours(1),
        MaxBytes = 64L * 1024 * 1024,
        Discard = StreamConfigDiscard.Old,
        Storage = StreamConfigStorage.File,
        NumReplicas = 1,
    };
}
