using System.Net;
using Microsoft.AspNetCore.Http;

namespace Mesh.Dashboard;

/// <summary>
/// Serves only the names the dashboard is reached by, and only pages of its own origin. A web page
/// elsewhere whose DNS name is rebound to 127.0.0.1 reaches the dashboard with its own name in
/// <c>Host</c>: refused (421), so it reads nothing. Allowed: an IP literal (no DNS, so nothing to
/// rebind), <c>localhost</c> and names under <c>.localhost</c> (which browsers resolve to loopback
/// themselves), and the names configured (<see cref="DashboardOptions.AllowedHosts"/>, for a
/// dashboard reached by name). A request that carries an <c>Origin</c> (a browser's cross-site
/// request: an <c>EventSource</c> or a form posted from another page) must come from the
/// dashboard's own origin (403 otherwise), so no other page can hold an event stream open or
/// post to the inspector.
/// </summary>
public sealed class HostCheck(IReadOnlyList<string> allowedHosts)
{
    public Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        var host = http.Request.Host;
        if (!host.HasValue || !IsAllowed(host.Host))
        {
            http.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
            return http.Response.WriteAsync("this dashboard is not served under that name (Mesh__Dashboard__AllowedHosts)\n");
        }

        // Host and port only, so a dashboard behind a proxy that ends TLS still knows its own page.
        if (http.Request.Headers.Origin is { Count: > 0 } origin
            && !(Uri.TryCreate(origin.ToString(), UriKind.Absolute, out var from) && from.Scheme is "http" or "https"
                && string.Equals(from.Authority, host.Value, StringComparison.OrdinalIgnoreCase)))
        {
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
            return http.Response.WriteAsync("requests from other pages are refused\n");
        }

        return next(http);
    }

    public bool IsAllowed(string host)
    {
        var name = host.TrimEnd('.');
        if (IPAddress.TryParse(name.Trim('[', ']'), out _))
        {
            return true;
        }

        if (name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        foreach (var allowed in allowedHosts)
        {
            if (allowed.StartsWith("*.", StringComparison.Ordinal)
                ? name.EndsWith(allowed[1..], StringComparison.OrdinalIgnoreCase) && name.Length > allowed.Length - 1
                : name.Equals(allowed, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
