using System.Globalization;
using System.Net;

namespace Mesh.Client;

/// <summary>HOST:PORT as the gateway's and the dashboard's Listen settings take it: an IP address (or localhost) and a port.</summary>
public static class ListenAddress
{
    /// <param name="setting">The setting's name, for the problem (<c>Mesh:Gateway:Listen</c>).</param>
    public static IPEndPoint? Parse(string setting, string text, out string problem)
    {
        problem = "";
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            problem = $"{setting} '{text}' must be HOST:PORT (127.0.0.1:8080, 0.0.0.0:8080, [::1]:8080)";
            return null;
        }

        var host = text[..colon].Trim('[', ']');
        var address = host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host, out var parsed) ? parsed : null;
        if (address is null)
        {
            problem = $"{setting} '{text}': '{host}' is not an IP address (or localhost)";
        }

        return address is null ? null : new IPEndPoint(address, port);
    }
}
