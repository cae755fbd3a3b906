using System.Text.Json.Serialization;

namespace Mesh.Contracts.Triggers;

/// <summary>
/// An HTTP route a manifest declares (<c>route: POST /orders</c>), as <c>mesh deploy</c> writes it
/// to the <see cref="TriggerBuckets.Routes"/> bucket. A public route carries its route token: the
/// function's own deployed token (audience that function, granting only what its chain reaches),
/// which the gateway presents for callers who bring none. A route that is not public carries no
/// token: callers bring theirs as <c>Authorization: Bearer</c>.
/// </summary>
public sealed record RouteDeclaration
{
    [JsonPropertyName("app")]
    public string App { get; init; } = "";

    [JsonPropertyName("function")]
    public string Function { get; init; } = "";

    [JsonPropertyName("method")]
    public string Method { get; init; } = "POST";

    /// <summary>A literal path: '/' and then segments of letters, digits and -._~ (no parameters, no query).</summary>
    [JsonPropertyName("path")]
    public string Path { get; init; } = "/";

    [JsonPropertyName("public")]
    public bool Public { get; init; }

    /// <summary>Whether the function's <c>Set-Cookie</c> reaches the client (<c>cookies: true</c>); the gateway drops it otherwise.</summary>
    [JsonPropertyName("cookies")]
    public bool Cookies { get; init; }

    /// <summary>
    /// Whether the function's pages may run in the gateway's origin (<c>active: true</c>); without
    /// it every answer carries <c>Content-Security-Policy: sandbox</c>, so a page the function
    /// writes runs, if at all, in an origin of its own and reaches no other function's users.
    /// </summary>
    [JsonPropertyName("active")]
    public bool Active { get; init; }

    /// <summary>
    /// Whether running the function twice is harmless (<c>idempotent: true</c>): the gateway then
    /// tries again, on another node, a call that may have run and went unanswered. Calls that never
    /// started are tried again either way.
    /// </summary>
    [JsonPropertyName("idempotent")]
    public bool Idempotent { get; init; }

    [JsonPropertyName("token")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Token { get; init; }

    /// <summary>When the route token expires (Unix seconds); 0 without one.</summary>
    [JsonPropertyName("expires")]
    public long Expires { get; init; }

    /// <summary>Why a gateway may not serve this declaration, or null.</summary>
    public string? Problem() =>
        !TriggerBuckets.IsValidOwner(App, Function) ? "its application or function is not a valid name"
        : !Methods.Contains(Method) || !IsValidPath(Path) ? "its method or path is not one a route may have"
        : Public && string.IsNullOrEmpty(Token) ? "it is public but carries no route token"
        : Expires is < 0 or > TriggerBuckets.MaxUnixSeconds ? "its expiry is not a time"
        : null;

    /// <summary>Whether <paramref name="path"/> is a route path Mesh accepts.</summary>
    public static bool IsValidPath(string path) =>
        path.Length is > 0 and <= 256 && path[0] == '/' && !path.Contains("//", StringComparison.Ordinal)
        && path.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '-' or '.' or '_' or '~')
        && !path.Split('/').Any(segment => segment is "." or "..");

    /// <summary>The methods a route may take.</summary>
    public static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];
}
