using System.Buffers;
using Mesh.Contracts.HostCalls;
using Mesh.Contracts.Tokens.Rules;

namespace Mesh.Node.Capabilities;

/// <summary>
/// What a guest's HTTP request may say besides its URL, checked before anything is sent: a known
/// method, header names that are HTTP tokens, header values of printable ASCII and tab, and none of
/// the headers the host sets itself. A CR or LF in a header would end it and start another (or a
/// whole second request on the same connection); a NUL is cut or kept depending on the server.
/// Nothing is repaired: the request is refused.
/// </summary>
internal static class HttpRequestCheck
{
    private static readonly string[] HostOwned = ["host", "connection", "transfer-encoding", "content-length", "upgrade", "te", "trailer", "keep-alive", "expect"];

    // RFC 9110 token characters.
    private static readonly SearchValues<char> TokenChars = SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    /// <summary>The method, or <see cref="HttpMethods.None"/> when it is not one Mesh knows.</summary>
    public static HttpMethods Method(string name) => name switch
    {
        "GET" => HttpMethods.Get,
        "HEAD" => HttpMethods.Head,
        "POST" => HttpMethods.Post,
        "PUT" => HttpMethods.Put,
        "PATCH" => HttpMethods.Patch,
        "DELETE" => HttpMethods.Delete,
        "OPTIONS" => HttpMethods.Options,
        _ => HttpMethods.None,
    };

    /// <summary>Why the request's headers cannot be sent as given, or null.</summary>
    public static string? HeaderProblem(HttpExchange.Request request)
    {
        foreach (var (name, value) in request.Headers)
        {
            if (name.Length == 0 || name.AsSpan().ContainsAnyExcept(TokenChars))
            {
                return "a header name holds characters a header name cannot (only HTTP token characters)";
            }

            if (!IsValidValue(value))
            {
                return $"the value of header {name} holds a control or non-ASCII character (CR, LF and NUL included)";
            }

            var lower = name.ToLowerInvariant();
            if (HostOwned.Contains(lower) || lower.StartsWith("proxy-", StringComparison.Ordinal))
            {
                return $"header {name} is one the host sets itself (Host, Connection, Content-Length, Transfer-Encoding, Proxy-*, ...)";
            }
        }

        return null;
    }

    private static bool IsValidValue(string value)
    {
        foreach (var c in value)
        {
            if (c is not ('\t' or (>= ' ' and <= '~')))
            {
                return false;
            }
        }

        return true;
    }
}
