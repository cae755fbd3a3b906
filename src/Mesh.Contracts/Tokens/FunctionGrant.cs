using System.Collections.Immutable;
using Mesh.Contracts.Wire;

namespace Mesh.Contracts.Tokens;

/// <summary>What a token allows one function: which module(s) may run under its name, with what.</summary>
public sealed record FunctionGrant(
    string Function,
    ImmutableArray<Sha256Digest> Modules,
    CapabilitySet Capabilities,
    Limits Limits)
{
    public bool Covers(FunctionGrant child) => Uncovered(child) is null;

    /// <summary>What <paramref name="child"/> allows that this does not, described; null if nothing.</summary>
    public string? Uncovered(FunctionGrant child)
    {
        if (child.Function != Function)
        {
            return $"function '{child.Function}'";
        }

        if (child.Modules.FirstOrDefault(m => !Modules.Contains(m)) is var module && module != default)
        {
            return $"module {module}";
        }

        return Capabilities.Uncovered(child.Capabilities) ?? (Limits.Covers(child.Limits) ? null : "a looser or missing limit");
    }

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
