using Mesh.Node.Messaging;
using Mesh.Node.Sandbox;
using Microsoft.Extensions.Logging;

namespace Mesh.Node.Capabilities;

/// <summary>What every capability does when it refuses: tell the reply, count it, log what refused it.</summary>
public static class Refusal
{
    public static void Record(InvocationContext context, NodeStats stats, ILogger logger, string capability, string target, string reason)
    {
        context.Deny($"{capability}:{target}");
        stats.Denied(capability);
        Log.CapabilityRefused(logger, context.Grant.Function, context.Grant.TokenId, context.InvocationId, capability, target, reason);
    }
}
