using System.Collections.Immutable;
using Mesh.Contracts.Wire;

namespace Mesh.Contracts.Tokens;

/// <summary>What a token allows one function: which module(s) may run under its name, with what.</summary>
public sealed record FunctionGrant(
    string Function,
    ImmutableArray<Sha256Digest> Modules,
    Capabilities Capabilities,
    Limits Limits)
{
    public bool Covers(FunctionGrant child) =>
        child.Function == Function
        && child.Modules.All(Modules.Contains)
        && Capabilities.Covers(child.Capabilities)
        && Limits.Covers(child.Limits);

    public string? Validate()
    {
        if (!FunctionName.IsValid(Function))
        {
            return $"'{Function}' is not a valid function name";
        }

        if (Modules.IsDefaultOrEmpty)
        {
            return $"function '{Function}' names no module";
        }

        return Capabilities.Validate() ?? Limits.Validate();
    }
}
