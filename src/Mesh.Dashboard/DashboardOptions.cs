using Mesh.Client;
using Mesh.Contracts.Wire;

namespace Mesh.Dashboard;

/// <summary>The dashboard's settings (<c>Mesh:Dashboard</c>; <c>Mesh__Dashboard__Listen</c> and so on).</summary>
public sealed class DashboardOptions
{
    public const string Section = "Mesh:Dashboard";

    /// <summary>Loopback by default: the page shows function names, refusals and token ids.</summary>
    public string Listen { get; init; } = "127.0.0.1:8090";

    /// <summary>How often each open page is sent what changed (server-sent events).</summary>
    public TimeSpan Refresh { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the nodes are asked for their stats (<c>$SRV.STATS</c>), however many pages are open.</summary>
    public TimeSpan NodesInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Host names the page is served under besides IP addresses and <c>localhost</c>
    /// (<c>Mesh__Dashboard__AllowedHosts__0=dashboard.example.com</c>; <c>*.example.com</c> for
    /// names under it). Any other <c>Host</c> is refused, so a page that rebinds its own name to
    /// this address reads nothing.
    /// </summary>
    public string[] AllowedHosts { get; init; } = [];

    public string? Validate(string natsUrl)
    {
        if (NatsUrl.Problem(natsUrl) is { } nats)
        {
            return nats;
        }

        if (ListenAddress.Parse("Mesh:Dashboard:Listen", Listen, out var listen) is null)
        {
            return listen;
        }

        if (AllowedHosts.FirstOrDefault(h => !IsHostName(h.StartsWith("*.", StringComparison.Ordinal) ? h[2..] : h)) is { } bad)
        {
            return $"Mesh:Dashboard:AllowedHosts: '{PrintableText.Clean(bad, 64)}' is not a host name (letters, digits, '-' and dots; '*.' first for names under one; no port or scheme)";
        }

        return Refresh < TimeSpan.FromMilliseconds(100) || NodesInterval < TimeSpan.FromMilliseconds(500)
            ? "Mesh:Dashboard:Refresh must be at least 100 ms and NodesInterval at least 500 ms"
            : null;
    }

    private static bool IsHostName(string name) =>
        name.Length is > 0 and <= 253 && name.Split('.').All(label => label.Length is > 0 and <= 63 && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));
}
