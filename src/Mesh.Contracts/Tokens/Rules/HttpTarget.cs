namespace Mesh.Contracts.Tokens.Rules;

/// <summary>
/// Where a guest's HTTP request would go, taken apart the way <see cref="HttpRule"/> compares it.
/// A URL is refused outright when anything about it is ambiguous: user information, a host that is
/// not in normal form (<c>127.1</c>, <c>0x7f.0.0.1</c>, uppercase, a trailing dot), or a path the URL
/// parser would rewrite before sending (dot segments, encoded slashes). What is checked is what is sent.
/// </summary>
public sealed record HttpTarget(string Scheme, string Host, int Port, string Path, Uri Uri)
{
    public static bool TryParse(string url, out HttpTarget? target, out string error)
    {
        target = null;
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0 || url.Any(c => char.IsControl(c) || c is ' ' or '\\'))
        {
            error = "not an absolute http(s) URL";
            return false;
        }

        var rest = url[(schemeEnd + 3)..];
        var authorityEnd = rest.IndexOfAny(['/', '?', '#']);
        var authority = authorityEnd < 0 ? rest : rest[..authorityEnd];
        var rawPath = authorityEnd < 0 || rest[authorityEnd] != '/' ? "/" : rest[authorityEnd..].Split('?', '#')[0];
        if (authority.Contains('@', StringComparison.Ordinal))
        {
            error = "user information in a URL is refused";
            return false;
        }

        var colon = authority.EndsWith(']') ? -1 : authority.LastIndexOf(':');
        var rawHost = colon < 0 ? authority : authority[..colon];
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.UserInfo.Length > 0)
        {
            error = "not an absolute http(s) URL";
            return false;
        }

        var host = HttpRule.NormaliseHost(rawHost);
        if (host is null || host != rawHost || host.StartsWith("*.", StringComparison.Ordinal))
        {
            error = $"host '{rawHost}' is not a host name in normal form or a canonical IP address";
            return false;
        }

        if (uri.AbsolutePath != rawPath || rawPath.Contains("%2f", StringComparison.OrdinalIgnoreCase)
            || rawPath.Contains("%2e", StringComparison.OrdinalIgnoreCase) || rawPath.Contains("%5c", StringComparison.OrdinalIgnoreCase))
        {
            error = $"path '{rawPath}' is not in normal form (dot segments or encoded separators)";
            return false;
        }

        target = new HttpTarget(uri.Scheme, host, uri.Port, uri.AbsolutePath, uri);
        error = "";
        return true;
    }
}
