using Microsoft.Extensions.Logging;

namespace Mesh.Gateway;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Gateway listening on {Address}: POST /fn/NAME with 'Authorization: Bearer <token>', and the routes mesh deploy declared")]
    public static partial void Listening(ILogger logger, string address);

    [LoggerMessage(2, LogLevel.Information, "Routes: {Routes}; route tokens held (public routes, each for one function): {Held}: {Which}")]
    public static partial void RoutesRead(ILogger logger, int routes, int held, string which);

    [LoggerMessage(3, LogLevel.Warning, "Route {Key} skipped: {Reason}")]
    public static partial void RouteSkipped(ILogger logger, string key, string reason);

    [LoggerMessage(4, LogLevel.Warning, "The reply of {Function} set HTTP status and headers the gateway refused: {Reason}")]
    public static partial void ResponseRefused(ILogger logger, string function, string reason);

    [LoggerMessage(5, LogLevel.Debug, "{Function} set '{Header}', which its route does not let through (cookies: true): dropped")]
    public static partial void ResponseHeaderDropped(ILogger logger, string function, string header);
}
