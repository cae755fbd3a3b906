using System.Collections.Concurrent;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Rules;

namespace Mesh.Client;

/// <summary>
/// A token's reply binding as a client reads it, without verifying anything: nodes neither run nor
/// answer a call whose reply subject lies outside it, so a client that sees its own inbox outside
/// the binding says so at once instead of waiting out its timeout. What a token claims here decides
/// nothing: the node's verified check is the one that holds.
/// </summary>
public sealed class ReplyBinding
{
    private const int MaxKept = 1024;
    private readonly ConcurrentDictionary<string, string?> _bindings = new(StringComparer.Ordinal);

    /// <summary>The prefix the token's last binding block names, or null (no binding, or no readable token).</summary>
    public string? Of(string token)
    {
        if (_bindings.TryGetValue(token, out var known))
        {
            return known;
        }

        var binding = Read(token);
        if (_bindings.Count >= MaxKept)
        {
            _bindings.Clear();
        }

        _bindings[token] = binding;
        return binding;
    }

    /// <summary>Why a call with <paramref name="token"/> would never be answered under <paramref name="inboxPrefix"/>, or null.</summary>
    public string? Problem(string token, string inboxPrefix) =>
        Of(token) is { } bound && !ReplyPrefix.Covers(bound, inboxPrefix)
            ? $"the token binds replies to '{bound}', and this connection's replies arrive under '{inboxPrefix}': no node would answer (set --inbox-prefix {bound})"
            : null;

    private static string? Read(string token)
    {
        var bytes = TokenCodec.FromText(token, 64 * 1024);
        if (!bytes.IsOk || TokenCodec.Decode(bytes.Value) is not { IsOk: true } envelope)
        {
            return null;
        }

        string? binding = null;
        foreach (var block in envelope.Value.Blocks)
        {
            if (TokenCodec.DecodeClaims(block.Payload) is { IsOk: true } claims && claims.Value.ReplyPrefix is { } prefix)
            {
                binding = prefix;
            }
        }

        return binding;
    }
}
