using NATS.Client.Core;

namespace Mesh.Node.Messaging;

/// <summary>
/// The largest body a reply or a hand-on may carry: what the connected server accepts in one
/// message (its <c>max_payload</c>, 1 MiB by default) less room for the headers Mesh adds (token,
/// chain path, trace context, status and message). An output over it is
/// <c>function.output_too_large</c> before anything is sent, never a failed publish. Read per
/// use, since a reconnect may land on a server with another limit.
/// </summary>
public sealed class PayloadLimit(INatsConnection nats)
{
    /// <summary>Room kept for headers: a token of up to 8 KiB as base64 on a hop, a 64-step path, the rest.</summary>
    public const int HeaderRoom = 32 * 1024;

    private const long DefaultMaxPayload = 1024 * 1024;

    public long MaxBody => Math.Max(0, (nats.ServerInfo?.MaxPayload is > 0 and var max ? max : DefaultMaxPayload) - HeaderRoom);
}
