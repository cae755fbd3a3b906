using System.Collections.Immutable;
using System.Globalization;

namespace Mesh.Contracts.Tokens.Rules;

/// <summary>
/// Outbound HTTP a function may make: a scheme, a host (exact, or <c>*.suffix</c> for strict
/// subdomains only), a port, methods and a path prefix. Hosts are stored normalised (lowercase,
/// punycode, no trailing dot) and a token with a non-normalised host is malformed, so the check and
/// any later parser cannot disagree about which host is meant.
/// </summary>
public sealed record HttpRule(string Scheme, string Host, int Port, HttpMethods Methods, string PathPrefix)
{
    /// <summary>Secrets the node adds to the requests this rule allows (issue 16); empty for most rules.</summary>
    public ImmutableArray<SecretBinding> Secrets { get; init; } = [];

    public bool Equals(HttpRule? other) =>
        other is not null && Scheme == other.Scheme && Host == other.Host && Port == other.Port && Methods == other.Methods
        && PathPrefix == other.PathPrefix && Secrets.SequenceEqual(other.Secrets);

    public override int GetHashCode() => HashCode.Combine(Scheme, Host, Port, Methods, PathPrefix, Secrets.Length);

    /// <summary>The most secrets one rule binds.</summary>
    public const int MaxSecrets = 8;

    public bool IsWildcard => Host.StartsWith("*.", StringComparison.Ordinal);

    /// <summary>Whether a request (already parsed and normalised) falls under this rule.</summary>
    public bool Allows(string scheme, string host, int port, HttpMethods method, string path) =>
        scheme == Scheme
        && port == Port
        && (Methods & method) == method && method != HttpMethods.None
        && HostMatches(Host, host)
        && PathPrefixes.Matches(path, PathPrefix);

    /// <summary>
    /// Whether everything <paramref name="child"/> allows, this rule allows too, and every secret it
    /// binds this rule binds the same way: narrowing may drop a secret, never add or change one.
    /// </summary>
    public bool Covers(HttpRule child) =>
        child.Secrets.All(Secrets.Contains)
        && child.Scheme == Scheme
        && child.Port == Port
        && (child.Methods & ~Methods) == HttpMethods.None
        && HostCovers(Host, child.Host)
        && PathPrefixes.Matches(child.PathPrefix, PathPrefix);

    /// <summary>Null when valid, else why not.</summary>
    public string? Validate()
    {
        if (Scheme is not ("http" or "https"))
        {
            return $"http rule scheme must be http or https, got '{Scheme}'";
        }

        if (Port is < 1 or > 65535)
        {
            return $"http rule port {Port} is out of range";
        }

        if (Methods == HttpMethods.None || (Methods & ~HttpMethods.All) != 0)
        {
            return "http rule must allow at least one known method";
        }

        if (!PathPrefixes.IsValid(PathPrefix))
        {
            return $"http rule path prefix '{PathPrefix}' must start with '/' and hold no '..', '?', '#' or '%'";
        }

        var normalised = NormaliseHost(Host);
        if (normalised is null || normalised != Host)
        {
            return $"http rule host '{Host}' is not a normalised host name";
        }

        if (Secrets.Length > MaxSecrets)
        {
            return $"an http rule binds at most {MaxSecrets} secrets";
        }

        foreach (var secret in Secrets)
        {
            if (secret.Validate() is { } error)
            {
                return error;
            }
        }

        if (Secrets.Select(s => s.Header.ToLowerInvariant()).Distinct().Count() != Secrets.Length)
        {
            return "an http rule may write one secret into each header";
        }

        return null;
    }

    /// <summary>
    /// Lowercase, IDN to punycode, trailing dot removed; null when it is not a host name, a
    /// <c>*.suffix</c> wildcard or an IP literal in canonical form.
    /// </summary>
    public static string? NormaliseHost(string host)
    {
        if (host.Length is 0 or > 253)
        {
            return null;
        }

        var wildcard = host.StartsWith("*.", StringComparison.Ordinal);
        var name = wildcard ? host[2..] : host;
        if (name.EndsWith('.'))
        {
            name = name[..^1];
        }

        if (name.StartsWith('[') && name.EndsWith(']'))
        {
            return !wildcard && System.Net.IPAddress.TryParse(name[1..^1], out var v6)
                && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? "[" + v6 + "]"
                : null;
        }

        string ascii;
        try
        {
            ascii = new IdnMapping { UseStd3AsciiRules = true }.GetAscii(name).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return null;
        }

        if (IsDottedNumeric(ascii))
        {
            // Only canonical dotted-quad IPv4 literals: no octal, hex or short forms that resolvers
            // read differently from humans.
            return !wildcard && System.Net.IPAddress.TryParse(ascii, out var v4) && v4.ToString() == ascii ? ascii : null;
        }

        return wildcard ? "*." + ascii : ascii;
    }

    private static bool IsDottedNumeric(string name)
    {
        var lastLabel = name[(name.LastIndexOf('.') + 1)..];
        return lastLabel.Length > 0 && (lastLabel.All(char.IsAsciiDigit) || lastLabel.StartsWith("0x", StringComparison.Ordinal));
    }

    private static bool HostMatches(string pattern, string host) =>
        pattern.StartsWith("*.", StringComparison.Ordinal)
            ? host.Length > pattern.Length - 1 && host.EndsWith(pattern.AsSpan(1), StringComparison.Ordinal)
            : host == pattern;

    // A wildcard covers any host or narrower wildcard strictly under its suffix; an exact host
    // covers only itself. A wildcard never covers its bare domain.
    private static bool HostCovers(string parent, string child) =>
        parent == child
        || (parent.StartsWith("*.", StringComparison.Ordinal) && child.Length > parent.Length - 1
            && child.EndsWith(parent.AsSpan(1), StringComparison.Ordinal));
}
