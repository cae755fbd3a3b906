using System.Text;
using System.Text.Json;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Rules;
using Mesh.Contracts.Wire;

namespace Mesh.Client;

/// <summary>
/// What <c>mesh token inspect</c> prints: every block as it was signed, the effective window and
/// functions, and a verification verdict with its code. Blocks are shown apart on purpose: an action
/// is allowed only if every block allows it.
/// </summary>
public sealed record TokenReport(string Json, bool Verified, MeshError Error)
{
    public static TokenReport Build(byte[] token, IReadOnlyList<string> trustedRoots, string? function, Sha256Digest? module, TimeProvider time)
    {
        Result<Grant> verdict;
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            var envelope = TokenCodec.Decode(token);
            if (envelope.IsOk)
            {
                WriteEnvelope(json, envelope.Value);
            }

            verdict = Verify(token, envelope, trustedRoots, function, module, time, out var verified);
            if (verified is not null)
            {
                WriteEffective(json, verified);
            }

            json.WriteStartObject("verification");
            json.WriteBoolean("ok", verdict.IsOk);
            json.WriteString("code", verdict.Error.Code.ToWire());
            if (!verdict.IsOk)
            {
                json.WriteString("message", verdict.Error.Message);
            }

            json.WriteString("checked", trustedRoots.Count > 0
                ? $"against {trustedRoots.Count} trusted root key(s), at {time.GetUtcNow():O}"
                : "signatures, proof and narrowing only: the issuer is not checked without --trust");
            if (verdict.IsOk)
            {
                json.WriteString("function", verdict.Value.Function);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return new TokenReport(Encoding.UTF8.GetString(stream.ToArray()), verdict.IsOk, verdict.Error);
    }

    private static Result<Grant> Verify(
        byte[] token, Result<TokenEnvelope> envelope, IReadOnlyList<string> trustedRoots, string? function, Sha256Digest? module, TimeProvider time, out VerifiedToken? verified)
    {
        verified = null;
        var options = new TokenVerifierOptions { TrustedRoots = trustedRoots, MaxTokenBytes = int.MaxValue };
        var verifier = new TokenVerifier(options, time);
        Result<VerifiedToken> result;
        if (trustedRoots.Count > 0)
        {
            result = verifier.Verify(token);
        }
        else if (!envelope.IsOk)
        {
            result = envelope.Error;
        }
        else if (envelope.Value.Version != TokenEnvelope.CurrentVersion)
        {
            result = Result<VerifiedToken>.Fail(ErrorCode.TokenVersion, $"token version {envelope.Value.Version} is not supported");
        }
        else
        {
            result = VerifyingKey.TryImport(envelope.Value.RootKey, out var root)
                ? TokenVerifier.VerifyFromRoot(envelope.Value, root!, options.MaxDepth)
                : Result<VerifiedToken>.Fail(ErrorCode.TokenSignature, "the root key is not a valid public key");
        }

        if (!result.IsOk)
        {
            return result.Error;
        }

        verified = result.Value;
        var chain = verified.Chain;
        return verifier.Authorize(verified, function ?? chain.Audience ?? chain.Functions[0].Function, module);
    }

    private static void WriteEnvelope(Utf8JsonWriter json, TokenEnvelope envelope)
    {
        json.WriteNumber("version", envelope.Version);
        if (envelope.Version != TokenEnvelope.CurrentVersion)
        {
            return;
        }

        json.WriteString("issuer", KeyText.EncodePublic(envelope.RootKey));
        json.WriteBoolean("sealed", envelope.IsSealed);
        json.WriteStartArray("blocks");
        for (var i = 0; i < envelope.Blocks.Length; i++)
        {
            json.WriteStartObject();
            json.WriteNumber("index", i);
            var claims = TokenCodec.DecodeClaims(envelope.Blocks[i].Payload);
            if (claims.IsOk)
            {
                WriteClaims(json, claims.Value);
            }
            else
            {
                json.WriteString("error", claims.Error.ToString());
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteClaims(Utf8JsonWriter json, BlockClaims claims)
    {
        if (!claims.TokenId.IsDefault)
        {
            json.WriteString("tokenId", Convert.ToHexStringLower(claims.TokenId.AsSpan()));
        }

        WriteTime(json, "issuedAt", claims.IssuedAt);
        WriteTime(json, "notBefore", claims.NotBefore);
        WriteTime(json, "expires", claims.Expires);
        if (claims.MaxDepth is { } depth)
        {
            json.WriteNumber("maxDepth", depth);
        }

        if (claims.Audience is { } audience)
        {
            json.WriteString("audience", audience);
        }

        if (claims.ReplyPrefix is { } replyPrefix)
        {
            json.WriteString("replyPrefix", replyPrefix);
        }

        if (claims.Functions is { } functions)
        {
            json.WriteStartArray("functions");
            foreach (var function in functions)
            {
                WriteFunction(json, function);
            }

            json.WriteEndArray();
        }
    }

    private static void WriteFunction(Utf8JsonWriter json, FunctionGrant function)
    {
        json.WriteStartObject();
        json.WriteString("function", function.Function);
        WriteStrings(json, "modules", function.Modules.Select(m => m.ToString()));
        var caps = function.Capabilities;
        json.WriteBoolean("log", caps.Log);
        WriteStrings(json, "http", caps.Http.Select(RuleText.Format));
        WriteStrings(json, "kv", caps.Kv.Select(RuleText.Format));
        WriteStrings(json, "publish", caps.Publish);
        WriteStrings(json, "request", caps.Request);
        WriteStrings(json, "then", function.Then);
        WriteLimits(json, function.Limits);
        json.WriteEndObject();
    }

    private static void WriteEffective(Utf8JsonWriter json, VerifiedToken token)
    {
        var chain = token.Chain;
        json.WriteStartObject("effective");
        json.WriteString("tokenId", token.TokenId);
        WriteTime(json, "notBefore", chain.NotBefore);
        WriteTime(json, "expires", chain.Expires);
        json.WriteNumber("depth", chain.Depth);
        json.WriteNumber("maxDepth", chain.MaxDepth);
        if (chain.Audience is { } audience)
        {
            json.WriteString("audience", audience);
        }

        if (chain.ReplyPrefix is { } replyPrefix)
        {
            json.WriteString("replyPrefix", replyPrefix);
        }

        WriteStrings(json, "functions", chain.Functions.Select(f => f.Function));
        WriteStrings(json, "path", Path(chain));
        json.WriteString("rule", "an action is allowed only if every block that lists functions allows it");
        json.WriteEndObject();
    }

    // The functions the token was handed along, in order: each block that moved the audience.
    private static List<string> Path(TokenChain chain)
    {
        var path = new List<string>();
        foreach (var audience in chain.Blocks.Select(b => b.Audience).OfType<string>())
        {
            if (path.Count == 0 || path[^1] != audience)
            {
                path.Add(audience);
            }
        }

        return path;
    }

    private static void WriteLimits(Utf8JsonWriter json, Limits limits)
    {
        json.WriteStartObject("limits");
        foreach (var (name, value) in new[]
        {
            ("fuel", limits.Fuel), ("memoryBytes", limits.MemoryBytes), ("wallTimeMs", limits.WallTimeMs),
            ("outputBytes", limits.OutputBytes), ("hostCalls", limits.HostCalls),
        })
        {
            if (value is { } v)
            {
                json.WriteNumber(name, v);
            }
        }

        json.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    private static void WriteTime(Utf8JsonWriter json, string name, long? unixSeconds)
    {
        if (unixSeconds is { } seconds)
        {
            json.WriteString(name, DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, -62135596800, 253402300799)).ToString("yyyy-MM-ddTHH:mm:ssZ"));
        }
    }
}
