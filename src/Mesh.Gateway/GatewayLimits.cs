using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace Mesh.Gateway;

/// <summary>
/// The bounds every request gets: its timeout, and the largest body, which is what one NATS message
/// can carry (less room for headers) unless the options ask for less.
/// </summary>
public sealed class GatewayLimits(IOptions<GatewayOptions> options, INatsConnection nats)
{
    /// <summary>Room left in a message for Mesh's headers (the token, the request's headers, trace context).</summary>
    public const int HeaderRoom = 64 * 1024;

    public TimeSpan Timeout => options.Value.Timeout;

    /// <summary>How soon a call must start on the node that took it before the gateway tries another.</summary>
    public TimeSpan StartWithin => options.Value.StartWithin;

    public long MaxBodyBytes
    {
        get
        {
            var server = nats.ServerInfo?.MaxPayload is > HeaderRoom and var payload ? payload - HeaderRoom : 1024 * 1024 - HeaderRoom;
            return options.Value.MaxBodyBytes > 0 ? Math.Min(options.Value.MaxBodyBytes, server) : server;
        }
    }
}
