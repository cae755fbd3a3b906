using System.Text.Json.Serialization;

namespace Mesh.Contracts.Triggers;

/// <summary>
/// A schedule a manifest declares (<c>schedule: "*/5 * * * *"</c>), as <c>mesh deploy</c> writes it
/// to the <see cref="TriggerBuckets.Schedules"/> bucket: the cron expression (UTC; five fields, or
/// six with seconds first), the input each run gets, and the token each run carries.
/// </summary>
public sealed record ScheduleDeclaration
{
    [JsonPropertyName("app")]
    public string App { get; init; } = "";

    [JsonPropertyName("function")]
    public string Function { get; init; } = "";

    [JsonPropertyName("cron")]
    public string Cron { get; init; } = "";

    [JsonPropertyName("input")]
    public string Input { get; init; } = "";

    [JsonPropertyName("token")]
    public string Token { get; init; } = "";

    /// <summary>When the token expires (Unix seconds): runs after that fail as token.expired until a new deploy.</summary>
    [JsonPropertyName("expires")]
    public long Expires { get; init; }

    /// <summary>When it was deployed (Unix seconds): ticks at or before it are never run.</summary>
    [JsonPropertyName("since")]
    public long Since { get; init; }

    /// <summary>
    /// Why a node may not act on this declaration, or null. The bucket is the operator's, but a
    /// node publishes to a subject and a message id made from it, so it is checked like input.
    /// </summary>
    public string? Problem() =>
        !TriggerBuckets.IsValidOwner(App, Function) ? "its application or function is not a valid name"
        : Since is < 0 or > TriggerBuckets.MaxUnixSeconds || Expires is < 0 or > TriggerBuckets.MaxUnixSeconds ? "a time in it is not a time"
        : Token.Length == 0 ? "it carries no token"
        : null;

    /// <summary>The message id of tick <paramref name="tick"/> (Unix seconds): every node proposes the same one, JetStream keeps one.</summary>
    public static string MessageId(string app, string function, long tick) => $"schedule:{app}.{function}:{tick}";
}
