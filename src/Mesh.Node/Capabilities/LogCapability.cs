using System.Text;
using Mesh.Contracts.HostCalls;
using Mesh.Node.Sandbox;
using Microsoft.Extensions.Logging;

namespace Mesh.Node.Capabilities;

/// <summary>
/// <c>mesh.log</c>: guest lines go to the node's structured log with the function, token id and
/// invocation id, and to <c>mesh.log.FUNCTION</c> for <c>mesh logs</c>, bounded in count and
/// length so a guest cannot flood either.
/// </summary>
public sealed class LogCapability(ILogger<LogCapability> logger, FunctionLogs.FunctionLogPublisher published) : ICapability
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
        var (logLevel, name) = (GuestLogLevel)level switch
        {
            GuestLogLevel.Debug => (LogLevel.Debug, "debug"),
            GuestLogLevel.Warn => (LogLevel.Warning, "warn"),
            GuestLogLevel.Error => (LogLevel.Error, "error"),
            _ => (LogLevel.Information, "info"),
        };
        Log.GuestLine(logger, logLevel, context.Grant.Function, context.Grant.TokenId, context.InvocationId, line);
        published.Line(context.Grant.Function, context.Grant.TokenId, context.InvocationId, name, line);
        return HostStatus.Ok;
    }
}
