namespace Mesh.Contracts.Wire;

/// <summary>
/// A NATS server list as users write it (<c>nats://user:secret@n1:4222,nats://n2:4222</c>), taken
/// apart so the credentials travel as credentials and never as part of a URL that gets logged or
/// printed. <see cref="Servers"/> holds the URLs without user information; <see cref="Redact"/>
/// is what to show a person.
/// </summary>
public sealed record NatsUrl(string Servers, string? User, string? Password, string? Token)
{
    public const string Hidden = "***";

    /// <summary>The servers and the first credentials any of them carries (user and password, or a token).</summary>
    public static NatsUrl Parse(string urls)
    {
        string? user = null, password = null, token = null;
        var servers = new List<string>();
        foreach (var url in urls.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var (plain, userInfo) = Split(url);
            servers.Add(plain);
            if (userInfo is null || user is not null || token is not null)
            {
                continue;
            }

            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                token = Uri.UnescapeDataString(userInfo);
            }
            else
            {
                user = Uri.UnescapeDataString(userInfo[..colon]);
                password = Uri.UnescapeDataString(userInfo[(colon + 1)..]);
            }
        }

        return new NatsUrl(string.Join(',', servers), user, password, token);
    }

    /// <summary>
    /// What is wrong with a server list, in words for a person, or null when every entry is a
    /// <c>nats</c>, <c>tls</c>, <c>ws</c> or <c>wss</c> URL (or a bare <c>host:port</c>) with a host
    /// and, if given, a port from 1 to 65535. The NATS client throws on the rest, so check first.
    /// </summary>
    public static string? Problem(string urls)
    {
        var entries = urls.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (entries.Length == 0)
        {
            return "no NATS server URL given";
        }

        foreach (var entry in entries)
        {
            var (plain, _) = Split(entry);
            var shown = Redact(entry);
            var schemeEnd = plain.IndexOf("://", StringComparison.Ordinal);
            var scheme = schemeEnd < 0 ? "nats" : plain[..schemeEnd].ToLowerInvariant();
            if (scheme is not ("nats" or "tls" or "ws" or "wss"))
            {
                return $"'{shown}' is not a NATS URL: the scheme must be nats://, tls://, ws:// or wss://, not {scheme}://";
            }

            var withScheme = schemeEnd < 0 ? $"nats://{plain}" : plain;
            var authority = withScheme[(withScheme.IndexOf("://", StringComparison.Ordinal) + 3)..].Split('/', '?', '#')[0];
            var colon = authority.LastIndexOf(':');
            if (colon >= 0 && !authority.EndsWith(']') && !(int.TryParse(authority[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536))
            {
                return $"'{shown}' is not a NATS URL: the port must be a number from 1 to 65535";
            }

            if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            {
                return $"'{shown}' is not a NATS URL: expected nats://HOST[:PORT]";
            }
        }

        return null;
    }

    /// <summary>The URLs with every password or token replaced by <c>***</c> (a user name stays).</summary>
    public static string Redact(string urls) => string.Join(',', urls.Split(',').Select(url =>
    {
        var (plain, userInfo) = Split(url);
        if (userInfo is null)
        {
            return url;
        }

        var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        var shown = colon < 0 ? Hidden : $"{userInfo[..colon]}:{Hidden}";
        var schemeEnd = plain.IndexOf("://", StringComparison.Ordinal);
        return schemeEnd < 0 ? $"{shown}@{plain}" : $"{plain[..(schemeEnd + 3)]}{shown}@{plain[(schemeEnd + 3)..]}";
    }));

    // A URL without its user information, and the user information (null when there is none).
    private static (string Plain, string? UserInfo) Split(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var authorityStart = schemeEnd < 0 ? 0 : schemeEnd + 3;
        var authorityEnd = url.IndexOfAny(['/', '?', '#'], authorityStart);
        var authority = authorityEnd < 0 ? url[authorityStart..] : url[authorityStart..authorityEnd];
        var at = authority.LastIndexOf('@');
        if (at < 0)
        {
            return (url, null);
        }

        return (url[..authorityStart] + url[(authorityStart + at + 1)..], authority[..at]);
    }
}
