using Mesh.Contracts.Tokens;

namespace Mesh.Node.Sandbox;

/// <summary>The limits one invocation runs under: the token's, capped by the node's ceilings.</summary>
public readonly record struct EffectiveLimits(
    long Fuel, long MemoryBytes, long WallTimeMs, long OutputBytes, long HostCalls, int LogLines, int LogLineBytes, int Messages, int MessageBytes)
{
    public static EffectiveLimits From(Limits token, CeilingOptions ceilings) => new(
        Math.Min(token.Fuel ?? long.MaxValue, ceilings.Fuel),
        Math.Min(token.MemoryBytes ?? long.MaxValue, ceilings.MemoryBytes),
        Math.Min(token.WallTimeMs ?? long.MaxValue, ceilings.WallTimeMs),
        Math.Min(token.OutputBytes ?? long.MaxValue, ceilings.OutputBytes),
        Math.Min(token.HostCalls ?? long.MaxValue, ceilings.HostCalls),
        ceilings.LogLines,
        ceilings.LogLineBytes,
        ceilings.Messages,
        ceilings.MessageBytes);
}
