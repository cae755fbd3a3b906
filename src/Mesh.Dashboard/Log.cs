using Microsoft.Extensions.Logging;

namespace Mesh.Dashboard;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "dashboard on {Addresses} (read-only)")]
    public static partial void Listening(ILogger logger, string addresses);
}
