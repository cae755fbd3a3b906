using System.Globalization;
using System.Net;
using Mesh.Contracts.Wire;

namespace Mesh.Gateway;

/// <summary>Bound from <c>Mesh__Gateway__...</c> (and <c>Mesh__Nats__Url</c>): the HTTP gateway.</summary>
public sealed record GatewayOptions
{
    public const string Section = "Mesh:Gateway";

    /// <summary>Where Kestrel listens: <c>HOST:PORT</c> (<c>0.0.0.0:8080</c> for every interface; port 0 picks a free one).</summary>
    public string Listen { get; init; } = "127.0.0.1:8080";

    /// <summary>The longest body taken; 0 means the NATS server's maximum payload less room for headers.</summary>
    public long MaxBodyBytes { get; init; }

    /// <summary>
    /// The longest one request may take, reading its body included. A call waits less when its
    /// token says it can take less (<see cref="CallWait"/>); 90% of the wait (a second less at least) is the call's budget.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// What a function may take when its token sets no wall time: the nodes' ceiling
    /// (<c>Mesh__Ceilings__WallTimeMs</c>, 10 s by default). Set it to the nodes' if they differ.
    /// </summary>
    public TimeSpan FunctionWallTime { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A call must start within this long of reaching a node, which says when it does; a call
    /// not started by then (its node died holding it, or was too busy) is tried on another node.
    /// </summary>
    public TimeSpan StartWithin { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Request headers a function sees through <c>http_info</c>, by name; a name ending in '*' is a
    /// prefix. <c>Authorization</c> never is: it carries the caller's token.
    /// </summary>
    public string[]? ForwardHeaders { get; init; }

    public static readonly string[] DefaultForwardHeaders =
        ["Accept", "Accept-Language", "Content-Type", "User-Agent", "If-Match", "If-None-Match", "If-Modified-Since", "Origin", "Referer", "X-*"];

    /// <summary>The headers forwarded: <see cref="ForwardHeaders"/> when set, else the defaults.</summary>
    public IReadOnlyList<string> EffectiveForwardHeaders => ForwardHeaders is { Length: > 0 } set ? set : DefaultForwardHeaders;

    /// <summary>Slowest body a client may send after <see cref="MinBodyRateGrace"/>, in bytes per second; slower is answered 408.</summary>
    public double MinBodyBytesPerSecond { get; init; } = 240;

    public TimeSpan MinBodyRateGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a client may take to send its request line and headers.</summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Connections open at once; one more is closed as it arrives. Kestrel's default is no limit,
    /// so idle connections could pile up until the process ran out of descriptors or memory.
    /// </summary>
    public long MaxConnections { get; init; } = 1000;

    /// <summary>How long a connection may sit idle between requests before it is closed (Kestrel's default is 130 s).</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the routes bucket is read afresh (besides watching it).</summary>
    public TimeSpan RoutesResync { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The address and port <see cref="Listen"/> names, or null with <paramref name="problem"/>.</summary>
    public static IPEndPoint? ParseListen(string text, out string problem) => Mesh.Client.ListenAddress.Parse("Mesh:Gateway:Listen", text, out problem);

    public string? Validate(string natsUrl)
    {
        if (NatsUrl.Problem(natsUrl) is { } nats)
        {
            return nats;
        }

        if (ParseListen(Listen, out var listen) is null)
        {
            return listen;
        }

        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(10))
        {
            return "Mesh:Gateway:Timeout must be more than 0 and at most 10 minutes";
        }

        if (MinBodyRateGrace <= TimeSpan.FromSeconds(1) || MinBodyBytesPerSecond <= 0)
        {
            return "Mesh:Gateway:MinBodyRateGrace must be more than 1 second and MinBodyBytesPerSecond more than 0 (Kestrel's bounds)";
        }

        if (FunctionWallTime <= TimeSpan.Zero || StartWithin < TimeSpan.FromMilliseconds(100) || StartWithin > TimeSpan.FromMinutes(10))
        {
            return "Mesh:Gateway:FunctionWallTime must be more than 0 and StartWithin from 100 ms to 10 minutes";
        }

        if (MaxConnections < 1 || KeepAliveTimeout <= TimeSpan.Zero || KeepAliveTimeout > TimeSpan.FromMinutes(10))
        {
            return "Mesh:Gateway:MaxConnections must be at least 1 and KeepAliveTimeout more than 0 and at most 10 minutes";
        }

        if (MaxBodyBytes < 0)
        {
            return "Mesh:Gateway:MaxBodyBytes must be 0 (the NATS maximum) or more";
        }

        if (EffectiveForwardHeaders.Any(h => h.Equals("Authorization", StringComparison.OrdinalIgnoreCase) || h == "*"))
        {
            return "Mesh:Gateway:ForwardHeaders may not name Authorization (it carries the caller's token) or '*'";
        }

        return null;
    }
}
