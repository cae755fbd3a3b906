namespace Mesh.Contracts.Triggers;

/// <summary>
/// Where <c>mesh deploy</c> writes an application's triggers: its HTTP routes (read by gateways)
/// and its schedules (read by nodes), one key per function, <c>APP.FUNCTION</c>. Nodes keep the
/// last tick each schedule handed on in a third bucket, the only one of the three they write.
/// </summary>
public static class TriggerBuckets
{
    public const string Routes = "mesh-routes";
    public const string Schedules = "mesh-schedules";
    public const string Ticks = "mesh-schedule-ticks";

    /// <summary>
    /// The key in <see cref="Ticks"/> nodes write to read the server's clock back (JetStream stamps
    /// each message with its own time). No dot, so no <c>APP.FUNCTION</c> key can be it.
    /// </summary>
    public const string ClockKey = "clock";

    public static string Key(string app, string function) => $"{app}.{function}";

    /// <summary>The latest Unix time a declaration may name (the end of year 9999): anything later is not a time.</summary>
    public const long MaxUnixSeconds = 253_402_300_799;

    /// <summary>Whether <paramref name="app"/> and <paramref name="function"/> can make a key, a subject and a message id.</summary>
    public static bool IsValidOwner(string app, string function) =>
        app.Length > 0 && AppName(app) == app && Wire.FunctionName.IsValid(function);

    /// <summary>
    /// An application's name as keys use it: letters, digits, '-' and '_' (what a directory name
    /// becomes, like docker compose's project name), at most 64 characters; empty when none is left.
    /// </summary>
    public static string AppName(string text)
    {
        var kept = new string([.. text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-')]).Trim('-');
        return kept.Length > 64 ? kept[..64] : kept;
    }
}
