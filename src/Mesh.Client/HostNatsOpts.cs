using Mesh.Contracts.Wire;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;

namespace Mesh.Client;

/// <summary>
/// The NATS connection settings every long-running Mesh process uses (node, gateway, dashboard):
/// credentials from the URL passed as credentials (a URL holding them would be logged), one log
/// line per failed attempt instead of a stack trace each second NATS is down, connecting until
/// NATS is there, and publishes that fail after the command timeout while disconnected instead of
/// waiting for the reconnection.
/// </summary>
public static class HostNatsOpts
{
    public static NatsOpts For(string natsUrl, string name, string inboxPrefix, ILoggerFactory loggers)
    {
        var url = NatsUrl.Parse(natsUrl);
        return new NatsOpts
        {
            Url = url.Servers,
            AuthOpts = new NatsAuthOpts { Username = url.User, Password = url.Password, Token = url.Token },
            Name = name,
            InboxPrefix = inboxPrefix,
            LoggerFactory = new OneLineLoggerFactory(loggers),
            RetryOnInitialConnect = true,
            PublishTimeoutOnDisconnected = true,
        };
    }
}
