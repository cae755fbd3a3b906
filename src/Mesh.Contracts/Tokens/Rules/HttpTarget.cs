namespace Mesh.Contracts.Tokens.Rules;

/// <summary>
/// Where a guest's HTTP request would go, taken apart the way <see cref="HttpRule"/> compares it.
/// A URL is refused outright when anything about it is ambiguous: user information, a host that is
/// not in normal form (<c>127.1</c>, <c>0x7f.0.0.1</c>, uppercase, a trailing dot), or a path the URL
/// parser would rewrite before sending (dot segments, encoded slashes). What is checked is what is sent.
/// </summary>
public sealed record HttpTarget(string Scheme, string Host, int Port, string Path, Uri Uri)
{
    // Percent-encoded characters that a server may decode into a separator, a dot segment or a
    // second round of decoding: %2e '.', %2f '/', %5c '\', %3b ';', %25 '%'.
    private static readonly string[] EncodedSeparators = ["%2e", "%2f", "%5c", "%3b", "%25"];

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

        if (uri.AbsolutePath != rawPath)
        {
            error = $"path '{rawPath}' is not in normal form (the URL parser would rewrite it)";
            return false;
        }

        if (PathAmbiguity(rawPath) is { } ambiguity)
        {
            error = $"path '{rawPath}' {ambiguity}";
            return false;
        }

        target = new HttpTarget(uri.Scheme, host, uri.Port, uri.AbsolutePath, uri);
        error = "";
        return true;
    }

    /// <summary>
    /// Why a path (already free of dot segments as sent) could still mean another path to the server
    /// that receives it, or null. The prefix check compares the path as sent; these are the ways a
    /// server's own decoding moves it elsewhere: <c>;</c> path parameters (<c>/v1/..;/admin</c> is
    /// <c>/admin</c> to Tomcat, Jetty and Spring), encoded separators and dots, double encoding,
    /// overlong or invalid UTF-8 (<c>%c0%ae</c>), control characters once decoded, and characters
    /// that compatibility normalisation turns into dots or slashes (fullwidth <c>．．</c>).
    /// </summary>
    public static string? PathAmbiguity(string path)
    {
        if (!System.Text.Ascii.IsValid(path))
        {
            return "holds characters outside ASCII (send them percent-encoded)";
        }

        if (path.Contains(';', StringComparison.Ordinal))
        {
            return "holds ';' (path parameters: servers disagree on what they mean)";
        }

        if (path.Contains('\\', StringComparison.Ordinal))
        {
            return "holds a backslash";
        }

        foreach (var encoded in EncodedSeparators)
        {
            if (path.Contains(encoded, StringComparison.OrdinalIgnoreCase))
            {
                return $"holds {encoded} (an encoded '.', '/', '\\', ';' or '%')";
            }
        }

        string decoded;
        try
        {
            // Strict: invalid or overlong UTF-8 throws instead of becoming U+FFFD.
            decoded = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(PercentDecode(path));
        }
        catch (System.Text.DecoderFallbackException)
        {
            return "decodes to invalid UTF-8";
        }

        if (decoded.Any(char.IsControl))
        {
            return "decodes to control characters";
        }

        var normalised = decoded.Normalize(System.Text.NormalizationForm.FormKC);
        if (normalised.IndexOfAny(['\\', ';', '%']) >= 0 || normalised.Split('/').Any(segment => segment is "." or ".."))
        {
            return "decodes to a dot segment or a separator once normalised";
        }

        return null;
    }

    // One round of %XX decoding to bytes ('+' is a plus in a path). The path is ASCII by now (the
    // URL parser escapes anything else, and such a path was refused), and a '%' without two hex
    // digits would have been rewritten, so refused, too.
    private static byte[] PercentDecode(string path)
    {
        var bytes = new List<byte>(path.Length);
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] == '%' && i + 2 < path.Length && Uri.IsHexDigit(path[i + 1]) && Uri.IsHexDigit(path[i + 2]))
            {
                bytes.Add((byte)((Uri.FromHex(path[i + 1]) << 4) | Uri.FromHex(path[i + 2])));
                i += 2;
            }
            else
            {
                bytes.Add((byte)path[i]);
            }
        }

        return [.. bytes];
    }
}
