using System.Collections.Immutable;
using Mesh.Contracts.Wire;

namespace Mesh.Contracts.Tokens;

/// <summary>
/// What a token allows one function: which module(s) may run under its name, with what, and
/// (<see cref="Then"/>) which functions its output flows to when the call is part of a declared chain.
/// </summary>
public sealed record FunctionGrant(
    string Function,
    ImmutableArray<Sha256Digest> Modules,
    CapabilitySet Capabilities,
    Limits Limits)
{
    /// <summary>At most this many next steps: a fan-out wider than this is a mistake, not a chain.</summary>
    public const int MaxThen = 16;

    /// <summary>
    /// The functions this function's output goes to next: none ends the chain (the output answers
    /// the caller), one continues it, several fan out. A later block may drop steps, never add one.
    /// </summary>
    public ImmutableArray<string> Then { get; init; } = [];

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

        if (child.Then.FirstOrDefault(next => !Then.Contains(next)) is { } step)
        {
            return $"next step '{step}'";
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

        if (Then.IsDefault || Then.Length > MaxThen)
        {
            return $"function '{Function}' names more than {MaxThen} next steps";
        }

        if (Then.FirstOrDefault(next => !FunctionName.IsValid(next)) is { } invalid)
        {
            return $"next step '{invalid}' of function '{Function}' is not a valid function name";
        }

        if (Then.Distinct(StringComparer.Ordinal).Count() != Then.Length)
        {
            return $"function '{Function}' names the same next step twice";
        }

        return Capabilities.Validate() ?? Limits.Validate();
    }
}
