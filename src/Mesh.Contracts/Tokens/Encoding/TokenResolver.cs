using MessagePack;
using MessagePack.Formatters;

namespace Mesh.Contracts.Tokens.Encoding;

/// <summary>Resolves only Mesh's own hand-written formatters: nothing in a token is typeless.</summary>
internal sealed class TokenResolver : IFormatterResolver
{
    public static readonly TokenResolver Instance = new();

    public static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard
        .WithResolver(Instance)
        .WithSecurity(MessagePackSecurity.UntrustedData.WithMaximumObjectGraphDepth(16));

    private static readonly IMessagePackFormatter<TokenEnvelope> Envelope = new TokenEnvelopeFormatter();
    private static readonly IMessagePackFormatter<BlockClaims> Claims = new BlockClaimsFormatter();

    public IMessagePackFormatter<T>? GetFormatter<T>() =>
        typeof(T) == typeof(TokenEnvelope) ? (IMessagePackFormatter<T>)Envelope
        : typeof(T) == typeof(BlockClaims) ? (IMessagePackFormatter<T>)Claims
        : null;
}
