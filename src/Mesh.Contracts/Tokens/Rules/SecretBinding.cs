using System.Collections.Immutable;

namespace Mesh.Contracts.Tokens.Rules;

/// <summary>
/// A secret bound to an HTTP rule: the node adds header <see cref="Header"/>, made from
/// <see cref="Template"/> with the secret's value in place of <c>{}</c>, to the requests that rule
/// allows, and to no other. Written <c>with stripe:Authorization=Bearer {}</c> after the rule's URL.
/// Narrowing may drop a binding, never add or change one.
/// </summary>
public sealed record SecretBinding(string Secret, string Header, string Template)
{
    /// <summary>The longest secret name and template.</summary>
    public const int MaxName = 64;
    public const int MaxTemplate = 256;

    /// <summary>
    /// Headers no secret may be written into: they frame the request or name its target, so a
    /// value there could split or redirect it.
    /// </summary>
    public static readonly ImmutableHashSet<string> ReservedHeaders = ImmutableHashSet.Create(
        StringComparer.OrdinalIgnoreCase,
        "host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer",
        "proxy-connection", "expect");

    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= MaxName && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>Null when valid, else why not.</summary>
    public string? Validate()
    {
        if (!IsValidName(Secret))
        {
            return $"secret name '{Secret}' must be 1 to {MaxName} letters, digits, '-', '_' or '.'";
        }

        if (Header.Length is 0 or > 128 || !Header.All(c => c < 0x7F && (char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c))))
        {
            return $"secret header '{Header}' is not a header name";
        }

        if (ReservedHeaders.Contains(Header))
        {
            return $"a secret may not be written into '{Header}'";
        }

        var placeholder = Template.IndexOf("{}", StringComparison.Ordinal);
        if (Template.Length > MaxTemplate || placeholder < 0 || Template.IndexOf("{}", placeholder + 2, StringComparison.Ordinal) >= 0
            || Template.Any(c => c != '\t' && (c < 0x20 || c >= 0x7F)))
        {
            return $"secret template '{Template}' must hold '{{}}' once, in at most {MaxTemplate} printable ASCII characters";
        }

        return null;
    }

    /// <summary>The header's value with <paramref name="value"/> in place of <c>{}</c>.</summary>
    public string Render(string value) => Template.Replace("{}", value, StringComparison.Ordinal);

    public override string ToString() => $"{Secret}:{Header}={Template}";
}
