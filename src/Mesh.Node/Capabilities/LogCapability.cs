using System.Text;
using Mesh.Contracts.HostCalls;
using Mesh.Node.Sandbox;
using Microsoft.Extensions.Logging;

namespace Mesh.Node.Capabilities;

/// <summary>
/// <c>mesh.log</c>: guest lines go to the node's structured log with the function, token id and
/// invocation id, bounded in count and length so a guest cannot flood the node's log.
/// </summary>
public sealed class LogCapability(ILogger<LogCapability> logger) : ICapability
{
    public IReadOnlyList<HostCall> HostCalls =>
    [
        new(GuestAbi.Log, ["level", "ptr", "len"], "status", call =>
            call.TrySpan(1, out var text) ? Write(call.Context, call.I32(0), text) : HostStatus.OutOfBounds)
        {
            Needs = "log",
            Allowed = static grant => grant.AllowsLog,
        },
    ];

    public int Write(InvocationContext context, int level, ReadOnlySpan<byte> text)
    {
        if (!context.Grant.AllowsLog)
        {
            context.Deny("log");
            return HostStatus.Denied;
        }

        if (!context.TakeLogLine())
        {
            return HostStatus.LimitExceeded;
        }

        var cut = text.Length > context.Limits.LogLineBytes;
        var line = Encoding.UTF8.GetString(cut ? text[..context.Limits.LogLineBytes] : text) + (cut ? " [cut]" : "");
        var logLevel = (GuestLogLevel)level switch
        {
            GuestLogLevel.Debug => LogLevel.Debug,
            GuestLogLevel.Warn => LogLevel.Warning,
            GuestLogLevel.Error => LogLevel.Error,
            _ => LogLevel.Information,
        };
        Log.GuestLine(logger, logLevel, context.Grant.Function, context.Grant.TokenId, context.InvocationId, line);
        return HostStatus.Ok;
    }
}
