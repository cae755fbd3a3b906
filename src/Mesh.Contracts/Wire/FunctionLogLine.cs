using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mesh.Contracts.Wire;

/// <summary>
/// One entry of a function's log as nodes publish it on <c>mesh.log.FUNCTION</c>: a line the
/// guest logged (<see cref="Kinds.Log"/>), how an invocation ended (<see cref="Kinds.Outcome"/>),
/// or how many entries the node left out to keep within the rate bound (<see cref="Kinds.Dropped"/>).
/// A message carries one or more entries as JSON lines. Text a guest wrote is already cleaned of
/// control characters; readers clean it again before printing it.
/// </summary>
public sealed record FunctionLogLine
{
    public static class Kinds
    {
        public const string Log = "log";
        public const string Outcome = "outcome";
        public const string Dropped = "dropped";
    }

    [JsonPropertyName("time")]
    public DateTimeOffset Time { get; init; }

    [JsonPropertyName("kind")]
    public string Kind { get; init; } = Kinds.Log;

    [JsonPropertyName("function")]
    public string Function { get; init; } = "";

    [JsonPropertyName("invocation")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Invocation { get; init; }

    [JsonPropertyName("token")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Token { get; init; }

    /// <summary>The invocation's place in its chain, 1 for a direct call.</summary>
    [JsonPropertyName("step")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int Step { get; init; }

    /// <summary>For an outcome: <c>ok</c> or the error code.</summary>
    [JsonPropertyName("status")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Status { get; init; }

    /// <summary>For an outcome: microseconds from the message's arrival at the node to its end.</summary>
    [JsonPropertyName("us")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long Micros { get; init; }

    /// <summary>For a log line: debug, info, warn or error.</summary>
    [JsonPropertyName("level")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Level { get; init; }

    /// <summary>The guest's line, an error's message, or what was dropped.</summary>
    [JsonPropertyName("message")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Message { get; init; }

    /// <summary>For <see cref="Kinds.Dropped"/>: how many entries were left out.</summary>
    [JsonPropertyName("dropped")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long DroppedCount { get; init; }

    /// <summary>
    /// For an outcome: what the invocation asked for and its token refused, as <c>capability:target</c>
    /// (<c>http:GET https://evil.example/</c>, <c>kv:users/admin</c>, <c>file:/etc/passwd</c>), the
    /// first 16 distinct, as the reply's <c>Mesh-Denied</c> lists them.
    /// </summary>
    [JsonPropertyName("denied")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Denied { get; init; }

    /// <summary>For an outcome: the chain's trace id (W3C, 32 hex digits); every step of a chain has the same.</summary>
    [JsonPropertyName("trace")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Trace { get; init; }

    /// <summary>The node that wrote it (its NATS connection name).</summary>
    [JsonPropertyName("node")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Node { get; init; }

    /// <summary>The entries in one published message (JSON lines); lines that are not entries are skipped.</summary>
    public static IEnumerable<FunctionLogLine> ParseLines(ReadOnlyMemory<byte> data)
    {
        var rest = data;
        while (!rest.IsEmpty)
        {
            var end = rest.Span.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[(end + 1)..];
            FunctionLogLine? entry = null;
            try
            {
                entry = line.IsEmpty ? null : JsonSerializer.Deserialize<FunctionLogLine>(line.Span);
            }
            catch (JsonException)
            {
                // Not an entry (anyone allowed to publish on mesh.log.> could send anything): skipped.
            }

            if (entry is not null)
            {
                yield return entry;
            }
        }
    }
}
