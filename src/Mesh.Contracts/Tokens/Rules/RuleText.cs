using System.Collections.Immutable;
namespace Mesh.Contracts.Tokens.Rules;

/// <summary>
/// The text form of rules, shared by the CLI, manifests and logs:
/// HTTP <c>[METHOD[,METHOD...] ]scheme://host[:port][/path-prefix]</c> (methods default to GET,HEAD),
/// key-value <c>bucket[/key-prefix][:op[,op...]]</c> (operations default to get).
/// </summary>
public static class RuleText
{
    private static readonly (string Name, int Bit)[] MethodNames =
    [
        ("GET", (int)HttpMethods.Get), ("HEAD", (int)HttpMethods.Head), ("POST", (int)HttpMethods.Post), ("PUT", (int)HttpMethods.Put),
        ("PATCH", (int)HttpMethods.Patch), ("DELETE", (int)HttpMethods.Delete), ("OPTIONS", (int)HttpMethods.Options),
    ];

    private static readonly (string Name, int Bit)[] OperationNames =
    [
        ("get", (int)KvOperations.Get), ("put", (int)KvOperations.Put), ("delete", (int)KvOperations.Delete), ("list", (int)KvOperations.List),
    ];

    public static string Format(HttpRule rule)
    {
        var host = rule.Host;
        var defaultPort = rule.Scheme == "https" ? 443 : 80;
        var port = rule.Port == defaultPort ? "" : ":" + rule.Port;
        return $"{Format(rule.Methods)} {rule.Scheme}://{host}{port}{rule.PathPrefix}" + string.Concat(rule.Secrets.Select(s => $" with {s}"));
    }

    public static string Format(HttpMethods methods) => FormatFlags(MethodNames, (int)methods);

    public static string Format(KvRule rule) => $"{rule.Bucket}/{rule.KeyPrefix}:{FormatFlags(OperationNames, (int)rule.Operations)}";

    /// <summary>
    /// <c>[METHODS] scheme://host[:port][/path]</c>, then any number of
    /// <c>with SECRET:Header=template {}</c>: secrets the node adds to the requests the rule allows.
    /// </summary>
    public static bool TryParseHttp(string text, out HttpRule? rule, out string error)
    {
        rule = null;
        var parts = text.Split(" with ", StringSplitOptions.TrimEntries);
        var secrets = ImmutableArray.CreateBuilder<SecretBinding>();
        foreach (var part in parts.Skip(1))
        {
            if (!TryParseSecret(part, out var secret, out error))
            {
                return false;
            }

            secrets.Add(secret!);
        }

        if (!TryParseHttpRule(parts[0], out rule, out error))
        {
            return false;
        }

        return Accept(rule! with { Secrets = secrets.ToImmutable() }, r => r.Validate(), out rule, out error);
    }

    /// <summary><c>NAME:Header=template with {}</c>, as <c>mesh grant --secret</c> and a rule's <c>with</c> take it.</summary>
    public static bool TryParseSecret(string text, out SecretBinding? secret, out string error)
    {
        secret = null;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var equals = colon < 0 ? -1 : text.IndexOf('=', colon + 1);
        if (colon <= 0 || equals <= colon + 1)
        {
            error = $"'{text}' is not a secret binding: expected NAME:Header=template with {{}} (stripe:Authorization=Bearer {{}})";
            return false;
        }

        return Accept(new SecretBinding(text[..colon].Trim(), text[(colon + 1)..equals].Trim(), text[(equals + 1)..]), s => s.Validate(), out secret, out error);
    }

    private static bool TryParseHttpRule(string text, out HttpRule? rule, out string error)
    {
        rule = null;
        text = text.Trim();
        var methods = HttpMethods.Get | HttpMethods.Head;
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space > 0)
        {
            if (!TryParseFlags(MethodNames, text[..space], "HTTP method", out var bits, out error))
            {
                return false;
            }

            methods = (HttpMethods)bits;
            text = text[(space + 1)..].Trim();
        }

        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            error = $"'{text}' is not a URL: expected scheme://host[:port][/path]";
            return false;
        }

        var scheme = text[..schemeEnd].ToLowerInvariant();
        var rest = text[(schemeEnd + 3)..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash < 0 ? rest : rest[..slash];
        var path = slash < 0 ? "/" : rest[slash..];
        if (authority.Contains('@', StringComparison.Ordinal))
        {
            error = "a rule may not carry user information ('user@host'): name the host alone";
            return false;
        }

        var port = scheme == "https" ? 443 : 80;
        var host = authority;
        var colon = authority.LastIndexOf(':');
        if (colon >= 0 && !authority.EndsWith(']'))
        {
            if (!int.TryParse(authority[(colon + 1)..], System.Globalization.NumberStyles.None, null, out port))
            {
                error = $"'{authority[(colon + 1)..]}' is not a port";
                return false;
            }

            host = authority[..colon];
        }

        var normalised = HttpRule.NormaliseHost(host);
        if (normalised is null)
        {
            error = $"'{host}' is not a host name, a '*.suffix' wildcard or a canonical IP address";
            return false;
        }

        return Accept(new HttpRule(scheme, normalised, port, methods, path), r => r.Validate(), out rule, out error);
    }

    public static bool TryParseKv(string text, out KvRule? rule, out string error)
    {
        rule = null;
        text = text.Trim();
        var operations = KvOperations.Get;
        var colon = text.LastIndexOf(':');
        if (colon >= 0)
        {
            if (!TryParseFlags(OperationNames, text[(colon + 1)..], "key-value operation", out var bits, out error))
            {
                return false;
            }

            operations = (KvOperations)bits;
            text = text[..colon];
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var candidate = slash < 0 ? new KvRule(text, "", operations) : new KvRule(text[..slash], text[(slash + 1)..], operations);
        return Accept(candidate, r => r.Validate(), out rule, out error);
    }

    // A parsed rule is returned only once the same validation a verifier runs has passed.
    private static bool Accept<TRule>(TRule candidate, Func<TRule, string?> validate, out TRule? rule, out string error)
        where TRule : class
    {
        var invalid = validate(candidate);
        rule = invalid is null ? candidate : null;
        error = invalid ?? "";
        return invalid is null;
    }

    private static string FormatFlags((string Name, int Bit)[] names, int flags) =>
        string.Join(',', names.Where(n => (flags & n.Bit) != 0).Select(n => n.Name));

    private static bool TryParseFlags((string Name, int Bit)[] names, string list, string what, out int flags, out string error)
    {
        flags = 0;
        foreach (var name in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var match = names.FirstOrDefault(n => n.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (match.Name is null)
            {
                error = $"unknown {what} '{name}' (known: {string.Join(", ", names.Select(n => n.Name))})";
                return false;
            }

            flags |= match.Bit;
        }

        error = "";
        return true;
    }
}
