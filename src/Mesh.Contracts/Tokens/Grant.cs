using System.Collections.Immutable;
using Mesh.Contracts.Tokens.Rules;

namespace Mesh.Contracts.Tokens;

/// <summary>
/// What one verified token allows one function. Every check asks every block that speaks about
/// the function and allows only what all of them allow: blocks are never merged into one rule set.
/// </summary>
public sealed class Grant
{
    private readonly ImmutableArray<FunctionGrant> _blocks;

    internal Grant(string function, string tokenId, long expires, ImmutableArray<FunctionGrant> blocks)
    {
        Function = function;
        TokenId = tokenId;
        Expires = expires;
        _blocks = blocks;
        var last = blocks[^1];
        Modules = [.. last.Modules.Where(m => blocks.All(b => b.Modules.Contains(m)))];
        Limits = blocks.Aggregate(Limits.None, (limits, block) => limits.Tighten(block.Limits));
        Then = [.. last.Then.Where(next => blocks.All(b => b.Then.Contains(next)))];
        _bindsSecrets = blocks.All(b => b.Capabilities.Http.Any(r => !r.Secrets.IsEmpty));
    }

    // Most grants bind no secret: then no HTTP request needs to look for one.
    private readonly bool _bindsSecrets;

    public string Function { get; }

    public string TokenId { get; }

    /// <summary>Unix seconds.</summary>
    public long Expires { get; }

    /// <summary>Module digests every block allows, in the order the last block lists them.</summary>
    public ImmutableArray<Sha256Digest> Modules { get; }

    /// <summary>The declared next steps every block names, in the order the last block lists them.</summary>
    public ImmutableArray<string> Then { get; }

    /// <summary>The tightest limit any block sets; the node's ceilings still apply on top.</summary>
    public Limits Limits { get; }

    public bool AllowsModule(Sha256Digest module) => Modules.Contains(module);

    public bool AllowsLog => _blocks.All(b => b.Capabilities.Log);

    public bool AllowsHttp(string scheme, string host, int port, HttpMethods method, string path) =>
        _blocks.All(b => b.Capabilities.Http.Any(r => r.Allows(scheme, host, port, method, path)));

    /// <summary>
    /// The secrets to add to a request the grant allows: those every block binds, on a rule of its
    /// own that allows this very request. A block that dropped a binding, or allows the request only
    /// through a rule without it, keeps it off.
    /// </summary>
    public ImmutableArray<SecretBinding> SecretsFor(string scheme, string host, int port, HttpMethods method, string path)
    {
        if (!_bindsSecrets)
        {
            return [];
        }

        List<SecretBinding>? kept = null;
        foreach (var block in _blocks)
        {
            var here = block.Capabilities.Http.Where(r => r.Allows(scheme, host, port, method, path)).SelectMany(r => r.Secrets);
            kept = kept is null ? [.. here.Distinct()] : [.. kept.Intersect(here)];
            if (kept.Count == 0)
            {
                return [];
            }
        }

        return [.. kept ?? []];
    }

    /// <summary>Whether every block binds secret <paramref name="name"/> to some rule: what a secrets service checks before it releases it.</summary>
    public bool BindsSecret(string name) =>
        _blocks.All(b => b.Capabilities.Http.Any(r => r.Secrets.Any(s => s.Secret == name)));

    public bool AllowsKv(string bucket, string key, KvOperations operation) =>
        _blocks.All(b => b.Capabilities.Kv.Any(r => r.Allows(bucket, key, operation)));

    /// <summary>Whether every block has at least one publish rule: without one, importing publish is refused.</summary>
    public bool MayPublish => _blocks.All(b => !b.Capabilities.Publish.IsEmpty);

    public bool MayRequest => _blocks.All(b => !b.Capabilities.Request.IsEmpty);

    /// <summary>Whether every block has at least one HTTP rule: without one, importing HTTP is refused.</summary>
    public bool MayUseHttp => _blocks.All(b => !b.Capabilities.Http.IsEmpty);

    /// <summary>Whether every block has at least one key-value rule: without one, importing key-value is refused.</summary>
    public bool MayUseKv => _blocks.All(b => !b.Capabilities.Kv.IsEmpty);

    /// <summary>Listing keys under a prefix: every block needs a list rule on the bucket whose prefix the requested one extends.</summary>
    public bool AllowsKvList(string bucket, string prefix) =>
        _blocks.All(b => b.Capabilities.Kv.Any(r => r.Bucket == bucket && (r.Operations & KvOperations.List) != 0
            && prefix.StartsWith(r.KeyPrefix, StringComparison.Ordinal)));

    public bool AllowsPublish(string subject) =>
        _blocks.All(b => b.Capabilities.Publish.Any(p => SubjectPattern.Matches(p, subject)));

    public bool AllowsRequest(string subject) =>
        _blocks.All(b => b.Capabilities.Request.Any(p => SubjectPattern.Matches(p, subject)));
}
