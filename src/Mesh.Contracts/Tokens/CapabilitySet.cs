using System.Collections.Immutable;
using Mesh.Contracts.Tokens.Rules;

namespace Mesh.Contracts.Tokens;

/// <summary>What a function may do besides compute. Empty means nothing: deny by default.</summary>
public sealed record CapabilitySet(
    bool Log,
    ImmutableArray<HttpRule> Http,
    ImmutableArray<KvRule> Kv,
    ImmutableArray<string> Publish,
    ImmutableArray<string> Request)
{
    public static readonly CapabilitySet None = new(false, [], [], [], []);

    /// <summary>
    /// Whether every rule of <paramref name="child"/> is covered by one rule here. Conservative: a
    /// child rule that only a union of parent rules covers is refused, never wrongly accepted.
    /// </summary>
    public bool Covers(CapabilitySet child) => Uncovered(child) is null;

    /// <summary>The first rule of <paramref name="child"/> that nothing here covers, described; null if none.</summary>
    public string? Uncovered(CapabilitySet child)
    {
        if (child.Log && !Log)
        {
            return "log";
        }

        return child.Http.Where(c => !Http.Any(p => p.Covers(c))).Select(c => $"http rule '{RuleText.Format(c)}'")
            .Concat(child.Kv.Where(c => !Kv.Any(p => p.Covers(c))).Select(c => $"kv rule '{RuleText.Format(c)}'"))
            .Concat(child.Publish.Where(c => !Publish.Any(p => SubjectPattern.Covers(p, c))).Select(c => $"publish '{c}'"))
            .Concat(child.Request.Where(c => !Request.Any(p => SubjectPattern.Covers(p, c))).Select(c => $"request '{c}'"))
            .FirstOrDefault();
    }

    public string? Validate()
    {
        foreach (var rule in Http)
        {
            if (rule.Validate() is { } error)
            {
                return error;
            }
        }

        foreach (var rule in Kv)
        {
            if (rule.Validate() is { } error)
            {
                return error;
            }
        }

        foreach (var subject in Publish.Concat(Request))
        {
            if (!SubjectPattern.IsValid(subject))
            {
                return $"'{subject}' is not a valid subject pattern";
            }

            if (SubjectPattern.NamesReserved(subject))
            {
                return $"'{subject}' is a system subject ($SYS, $JS, $KV, $O, _INBOX, mesh.*): it can never be granted";
            }
        }

        return null;
    }
}
