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
        return $"{Format(rule.Methods)} {rule.Scheme}://{host}{port}{rule.PathPrefix}";
    }

    public static string Format(HttpMethods methods) => FormatFlags(MethodNames, (int)methods);

    public static string Format(KvRule rule) => $"{rule.Bucket}/{rule.KeyPrefix}:{FormatFlags(OperationNames, (int)rule.Operations)}";

    public static bool TryParseHttp(string text, out HttpRule? rule, out string error)
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
