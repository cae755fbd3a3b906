using System.Text.Json;
using System.Text.Json.Serialization;
using Mesh.Contracts.Wire;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Mesh.Gateway;

/// <summary>
/// An error answered as RFC 9457 problem details (<c>application/problem+json</c>), with the Mesh
/// code that caused it, the step that failed and the trace id, so a caller can act on the code and
/// an operator can find the call.
/// </summary>
public sealed record ProblemResponse
{
    [JsonPropertyName("type")]
    public string Type { get; init; } = "about:blank";

    [JsonPropertyName("title")]
    public string Title { get; init; } = "";

    [JsonPropertyName("status")]
    public int Status { get; init; }

    [JsonPropertyName("detail")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Detail { get; init; }

    /// <summary>The Mesh code (<c>token.expired</c>): what a program should switch on.</summary>
    [JsonPropertyName("code")]
    public string Code { get; init; } = "";

    [JsonPropertyName("function")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Function { get; init; }

    [JsonPropertyName("step")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Step { get; init; }

    [JsonPropertyName("traceId")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceId { get; init; }

    /// <summary>Each problem's <c>type</c>: this and the code (<c>urn:mesh:error:token.expired</c>); docs/gateway.md lists them.</summary>
    public const string TypeBase = "urn:mesh:error:";

    // Problem JSON is never HTML: quotes and angle brackets stay readable.
    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static ProblemResponse For(ErrorCode code, string? detail, string? function = null, int? step = null, string? traceId = null)
    {
        var status = HttpStatusMap.For(code);
        return new ProblemResponse
        {
            Type = TypeBase + code.ToWire(),
            Title = ReasonPhrases.GetReasonPhrase(status),
            Status = status,
            Detail = detail,
            Code = code.ToWire(),
            Function = function,
            Step = step,
            TraceId = traceId,
        };
    }

    public async Task WriteAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        if (response.HasStarted)
        {
            return;
        }

        response.StatusCode = Status;
        response.ContentType = "application/problem+json";
        if (HttpStatusMap.IsRetryable(ErrorCodes.TryParse(Code, out var code) ? code : ErrorCode.None))
        {
            response.Headers.RetryAfter = "1";
        }

        if (Status == 401)
        {
            response.Headers.WWWAuthenticate = "Bearer realm=\"mesh\"";
        }

        await response.WriteAsync(JsonSerializer.Serialize(this, Json), cancellationToken);
    }
}
