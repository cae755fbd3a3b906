using Mesh.Contracts.Triggers;

namespace Mesh.Gateway;

/// <summary>
/// What a route lets a call do: be tried again after it may have run (<c>idempotent: true</c>),
/// and what of the function's answer the gateway lets through. Every function shares the gateway's one
/// origin, so one function's cookie or page would reach every other function's users: a function
/// sets (or clears) cookies only on a route that says <c>cookies: true</c>, and its pages run in
/// the gateway's origin only on a route that says <c>active: true</c>. Otherwise <c>Set-Cookie</c>
/// and <c>Clear-Site-Data</c> are dropped (and <c>Service-Worker-Allowed</c> without active), and
/// the answer carries <c>Content-Security-Policy: sandbox</c>: a browser renders a
/// page in an origin of its own, with no script, no form and no access to the gateway's cookies
/// or storage. Calls on <c>/fn/NAME</c> get neither.
/// </summary>
public sealed record RoutePolicy(bool Cookies, bool Active, bool Idempotent = false)
{
    /// <summary>The sandbox every answer not on an active route carries.</summary>
    public const string Sandbox = "sandbox";

    /// <summary><c>POST /fn/NAME</c>: a bearer call, never a page of the gateway's origin.</summary>
    public static readonly RoutePolicy Call = new(Cookies: false, Active: false);

    public static RoutePolicy For(RouteDeclaration route) => new(route.Cookies, route.Active, route.Idempotent);

    // Headers that act on the whole origin, not on the answer they come with: cookies set or
    // cleared (Clear-Site-Data also wipes the origin's storage), and a service worker's scope.
    private static readonly string[] CookieHeaders = ["Set-Cookie", "Set-Cookie2", "Clear-Site-Data"];
    private static readonly string[] ActiveHeaders = ["Service-Worker-Allowed"];

    /// <summary>Whether a header the function set goes to the client.</summary>
    public bool Passes(string header) =>
        (Cookies || !CookieHeaders.Contains(header, StringComparer.OrdinalIgnoreCase))
        && (Active || !ActiveHeaders.Contains(header, StringComparer.OrdinalIgnoreCase));
}
