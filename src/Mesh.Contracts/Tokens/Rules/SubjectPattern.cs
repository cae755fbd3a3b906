namespace Mesh.Contracts.Tokens.Rules;

/// <summary>
/// NATS subject patterns with their usual meaning: <c>*</c> is one token, <c>&gt;</c> one or more
/// trailing tokens. Used for publish and request grants.
/// </summary>
public static class SubjectPattern
{
    public const int MaxLength = 256;

    // The server's, JetStream's, key-value's, object store's, micro services', reply inboxes, and
    // Mesh's own (except function subjects, which calling another function needs).
    private static readonly string[] ReservedPrefixes = ["$", "_INBOX", "mesh"];

    /// <summary>
    /// Whether a literal subject belongs to the system: never publishable or requestable, whatever
    /// a grant says (a grant of <c>&gt;</c> included).
    /// </summary>
    public static bool IsReserved(string subject)
    {
        var first = subject.Split('.')[0];
        return first.StartsWith('$') || first == "_INBOX" || (first == "mesh" && !subject.StartsWith("mesh.fn.", StringComparison.Ordinal));
    }

    /// <summary>Whether a pattern names a reserved subject outright (its first token is reserved).</summary>
    public static bool NamesReserved(string pattern)
    {
        var first = pattern.Split('.')[0];
        return first is not ("*" or ">") && ReservedPrefixes.Any(p => first.StartsWith(p, StringComparison.Ordinal))
            && IsReserved(pattern.Replace("*", "x", StringComparison.Ordinal).Replace(">", "x", StringComparison.Ordinal));
    }

    /// <summary>A subject a guest may send to: literal (no wildcards) and well formed.</summary>
    public static bool IsLiteral(string subject) => IsValid(subject) && !subject.Split('.').Any(t => t is "*" or ">");

    public static bool IsValid(string pattern)
    {
        if (pattern.Length is 0 or > MaxLength)
        {
            return false;
        }

        var tokens = pattern.Split('.');
        for (var i = 0; i < tokens.Length; i++)
        {
            var token = tokens[i];
            if (token.Length == 0 || token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                return false;
            }

            if ((token.Contains('*') && token != "*") || (token.Contains('>') && (token != ">" || i != tokens.Length - 1)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether the literal <paramref name="subject"/> matches <paramref name="pattern"/>.</summary>
    public static bool Matches(string pattern, string subject)
    {
        var p = pattern.Split('.');
        var s = subject.Split('.');
        for (var i = 0; i < p.Length; i++)
        {
            if (p[i] == ">")
            {
                return s.Length > i;
            }

            if (i >= s.Length || (p[i] != "*" && p[i] != s[i]) || s[i] is "*" or ">")
            {
                return false;
            }
        }

        return s.Length == p.Length;
    }

    /// <summary>Whether every subject <paramref name="child"/> matches, <paramref name="parent"/> matches too.</summary>
    public static bool Covers(string parent, string child)
    {
        var p = parent.Split('.');
        var c = child.Split('.');
        for (var i = 0; i < c.Length; i++)
        {
            if (i >= p.Length)
            {
                return false;
            }

            if (p[i] == ">")
            {
                return true;
            }

            var covered = c[i] switch
            {
                ">" => false,
                "*" => p[i] == "*",
                _ => p[i] == "*" || p[i] == c[i],
            };
            if (!covered)
            {
                return false;
            }
        }

        return p.Length == c.Length;
    }
}
