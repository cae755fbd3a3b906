using System.Collections.Immutable;
using MessagePack;
using MessagePack.Formatters;
using Mesh.Contracts.Tokens.Rules;

namespace Mesh.Contracts.Tokens.Encoding;

/// <summary>
/// A block's payload:
/// <c>[tokenId(16)|nil, issuedAt|nil, notBefore|nil, expires|nil, maxDepth|nil, audience|nil, [function...]|nil]</c>,
/// with an eighth element, <c>replyPrefix</c>, only when the block binds one (so blocks that bind
/// none encode as they always did, and a block has one encoding)
/// where a function is <c>[name, [sha256(32)...], capabilities, limits, [next function...]]</c>, capabilities
/// <c>[log, [http...], [kv...], [publish...], [request...]]</c>, http <c>[scheme, host, port, methods, pathPrefix]</c>,
/// kv <c>[bucket, keyPrefix, operations]</c> and limits <c>[fuel, memory, wallTimeMs, output, hostCalls]</c>, each nil-able.
/// </summary>
internal sealed class BlockClaimsFormatter : IMessagePackFormatter<BlockClaims>
{
    private const int MaxEntries = 64;
    private const int MaxText = 1024;

    public void Serialize(ref MessagePackWriter writer, BlockClaims value, MessagePackSerializerOptions options)
    {
        writer.WriteArrayHeader(value.ReplyPrefix is null ? 7 : 8);
        if (value.TokenId.IsDefault)
        {
            writer.WriteNil();
        }
        else
        {
            writer.Write(value.TokenId.AsSpan());
        }

        WriteOptional(ref writer, value.IssuedAt);
        WriteOptional(ref writer, value.NotBefore);
        WriteOptional(ref writer, value.Expires);
        WriteOptional(ref writer, value.MaxDepth);
        if (value.Audience is null)
        {
            writer.WriteNil();
        }
        else
        {
            writer.Write(value.Audience);
        }

        if (value.Functions is not { } functions)
        {
            writer.WriteNil();
        }
        else
        {
            WriteFunctions(ref writer, functions);
        }

        if (value.ReplyPrefix is { } replyPrefix)
        {
            writer.Write(replyPrefix);
        }
    }

    private static void WriteFunctions(ref MessagePackWriter writer, ImmutableArray<FunctionGrant> functions)
    {
        writer.WriteArrayHeader(functions.Length);
        var digest = new byte[Sha256Digest.Length];
        foreach (var function in functions)
        {
            writer.WriteArrayHeader(5);
            writer.Write(function.Function);
            writer.WriteArrayHeader(function.Modules.Length);
            foreach (var module in function.Modules)
            {
                module.WriteTo(digest);
                writer.Write(digest);
            }

            WriteCapabilities(ref writer, function.Capabilities);
            WriteLimits(ref writer, function.Limits);
            WriteStrings(ref writer, function.Then);
        }
    }

    public BlockClaims Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        options.Security.DepthStep(ref reader);
        var arity = StrictReader.ArrayOf(ref reader, 7, 8, "claims");
        var claims = new BlockClaims
        {
            TokenId = reader.TryReadNil() ? default : [.. StrictReader.Bytes(ref reader, BlockClaims.TokenIdLength, "token id")],
            IssuedAt = StrictReader.OptionalInteger(ref reader, "issued at"),
            NotBefore = StrictReader.OptionalInteger(ref reader, "not before"),
            Expires = StrictReader.OptionalInteger(ref reader, "expires"),
            MaxDepth = StrictReader.OptionalInteger(ref reader, "max depth") is { } depth
                ? (int)Math.Clamp(depth, -1, int.MaxValue)
                : null,
            Audience = reader.TryReadNil() ? null : StrictReader.String(ref reader, MaxText, "audience"),
            Functions = reader.TryReadNil() ? null : ReadFunctions(ref reader, options),
        };
        if (arity == 8)
        {
            // Present only when set: a nil here would be a second encoding of "no binding".
            claims = claims with { ReplyPrefix = StrictReader.String(ref reader, MaxText, "reply prefix") };
        }

        reader.Depth--;
        return claims;
    }

    private static ImmutableArray<FunctionGrant> ReadFunctions(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        var count = StrictReader.List(ref reader, MaxEntries, "functions");
        var functions = ImmutableArray.CreateBuilder<FunctionGrant>(count);
        for (var i = 0; i < count; i++)
        {
            options.Security.DepthStep(ref reader);
            StrictReader.Array(ref reader, 5, "function");
            var name = StrictReader.String(ref reader, MaxText, "function name");
            var moduleCount = StrictReader.List(ref reader, MaxEntries, "modules");
            var modules = ImmutableArray.CreateBuilder<Sha256Digest>(moduleCount);
            for (var m = 0; m < moduleCount; m++)
            {
                modules.Add(Sha256Digest.FromBytes(StrictReader.Bytes(ref reader, Sha256Digest.Length, "module digest")));
            }

            var capabilities = ReadCapabilities(ref reader, options);
            var limits = ReadLimits(ref reader);
            functions.Add(new FunctionGrant(name, modules.MoveToImmutable(), capabilities, limits) { Then = ReadStrings(ref reader, "next steps") });
            reader.Depth--;
        }

        return functions.MoveToImmutable();
    }

    private static void WriteCapabilities(ref MessagePackWriter writer, CapabilitySet capabilities)
    {
        writer.WriteArrayHeader(5);
        writer.Write(capabilities.Log);
        writer.WriteArrayHeader(capabilities.Http.Length);
        foreach (var rule in capabilities.Http)
        {
            // Five elements without secrets, so tokens that bind none encode as they always did.
            writer.WriteArrayHeader(rule.Secrets.IsEmpty ? 5 : 6);
            writer.Write(rule.Scheme);
            writer.Write(rule.Host);
            writer.Write(rule.Port);
            writer.Write((int)rule.Methods);
            writer.Write(rule.PathPrefix);
            if (!rule.Secrets.IsEmpty)
            {
                writer.WriteArrayHeader(rule.Secrets.Length);
                foreach (var secret in rule.Secrets)
                {
                    writer.WriteArrayHeader(3);
                    writer.Write(secret.Secret);
                    writer.Write(secret.Header);
                    writer.Write(secret.Template);
                }
            }
        }

        writer.WriteArrayHeader(capabilities.Kv.Length);
        foreach (var rule in capabilities.Kv)
        {
            writer.WriteArrayHeader(3);
            writer.Write(rule.Bucket);
            writer.Write(rule.KeyPrefix);
            writer.Write((int)rule.Operations);
        }

        WriteStrings(ref writer, capabilities.Publish);
        WriteStrings(ref writer, capabilities.Request);
    }

    private static CapabilitySet ReadCapabilities(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        options.Security.DepthStep(ref reader);
        StrictReader.Array(ref reader, 5, "capabilities");
        var log = StrictReader.Boolean(ref reader, "log");

        var httpCount = StrictReader.List(ref reader, MaxEntries, "http rules");
        var http = ImmutableArray.CreateBuilder<HttpRule>(httpCount);
        for (var i = 0; i < httpCount; i++)
        {
            var arity = StrictReader.ArrayOf(ref reader, 5, 6, "http rule");
            var rule = new HttpRule(
                StrictReader.String(ref reader, 8, "http scheme"),
                StrictReader.String(ref reader, 256, "http host"),
                (int)Math.Clamp(StrictReader.Integer(ref reader, "http port"), -1, int.MaxValue),
                (HttpMethods)Math.Clamp(StrictReader.Integer(ref reader, "http methods"), -1, int.MaxValue),
                StrictReader.String(ref reader, MaxText, "http path prefix"));
            if (arity == 6)
            {
                // Present only when non-empty: an empty list would be a second encoding of the same rule.
                var count = StrictReader.List(ref reader, HttpRule.MaxSecrets, "http secrets");
                if (count == 0)
                {
                    throw new MessagePackSerializationException("http secrets: an empty list is written as no list");
                }

                var secrets = ImmutableArray.CreateBuilder<SecretBinding>(count);
                for (var j = 0; j < count; j++)
                {
                    StrictReader.Array(ref reader, 3, "http secret");
                    secrets.Add(new SecretBinding(
                        StrictReader.String(ref reader, SecretBinding.MaxName, "secret name"),
                        StrictReader.String(ref reader, 128, "secret header"),
                        StrictReader.String(ref reader, SecretBinding.MaxTemplate, "secret template")));
                }

                rule = rule with { Secrets = secrets.MoveToImmutable() };
            }

            http.Add(rule);
        }

        var kvCount = StrictReader.List(ref reader, MaxEntries, "kv rules");
        var kv = ImmutableArray.CreateBuilder<KvRule>(kvCount);
        for (var i = 0; i < kvCount; i++)
        {
            StrictReader.Array(ref reader, 3, "kv rule");
            kv.Add(new KvRule(
                StrictReader.String(ref reader, 64, "kv bucket"),
                StrictReader.String(ref reader, MaxText, "kv key prefix"),
                (KvOperations)Math.Clamp(StrictReader.Integer(ref reader, "kv operations"), -1, int.MaxValue)));
        }

        var publish = ReadStrings(ref reader, "publish subjects");
        var request = ReadStrings(ref reader, "request subjects");
        reader.Depth--;
        return new CapabilitySet(log, http.MoveToImmutable(), kv.MoveToImmutable(), publish, request);
    }

    private static void WriteLimits(ref MessagePackWriter writer, Limits limits)
    {
        writer.WriteArrayHeader(5);
        WriteOptional(ref writer, limits.Fuel);
        WriteOptional(ref writer, limits.MemoryBytes);
        WriteOptional(ref writer, limits.WallTimeMs);
        WriteOptional(ref writer, limits.OutputBytes);
        WriteOptional(ref writer, limits.HostCalls);
    }

    private static Limits ReadLimits(ref MessagePackReader reader)
    {
        StrictReader.Array(ref reader, 5, "limits");
        return new Limits(
            StrictReader.OptionalInteger(ref reader, "fuel"),
            StrictReader.OptionalInteger(ref reader, "memory"),
            StrictReader.OptionalInteger(ref reader, "wall time"),
            StrictReader.OptionalInteger(ref reader, "output"),
            StrictReader.OptionalInteger(ref reader, "host calls"));
    }

    private static void WriteStrings(ref MessagePackWriter writer, ImmutableArray<string> values)
    {
        writer.WriteArrayHeader(values.Length);
        foreach (var value in values)
        {
            writer.Write(value);
        }
    }

    private static ImmutableArray<string> ReadStrings(ref MessagePackReader reader, string what)
    {
        var count = StrictReader.List(ref reader, MaxEntries, what);
        var values = ImmutableArray.CreateBuilder<string>(count);
        for (var i = 0; i < count; i++)
        {
            values.Add(StrictReader.String(ref reader, MaxText, what));
        }

        return values.MoveToImmutable();
    }

    private static void WriteOptional(ref MessagePackWriter writer, long? value)
    {
        if (value is { } v)
        {
            writer.Write(v);
        }
        else
        {
            writer.WriteNil();
        }
    }
}
