using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Rules;

namespace Mesh.Contracts.Tests;

/// <summary>
/// Appending any block, however hostile, never lets a token do something it could not do before,
/// beyond one hop its own grant allows (see <see cref="Reachable"/>).
/// Values come from small pools so generated rules overlap, nest and collide often.
/// </summary>
public sealed class AttenuationProperties : IDisposable
{
    private static readonly string[] Functions = ["f", "g"];
    private static readonly Sha256Digest[] Modules = [Sha256Digest.Of("a"u8), Sha256Digest.Of("b"u8), Sha256Digest.Of("c"u8)];
    private static readonly string[] RuleHosts = ["api.example.com", "*.example.com", "*.api.example.com", "example.com", "evil.com"];
    private static readonly string[] ProbeHosts = ["api.example.com", "x.example.com", "x.api.example.com", "example.com", "evil.com"];
    private static readonly string[] Paths = ["/", "/v1", "/v1/", "/v1/a", "/v2/"];
    private static readonly string[] ProbePaths = ["/", "/v1", "/v1/a", "/v1x", "/v2/b"];
    private static readonly string[] KvPrefixes = ["", "t1.", "t1.a", "t2."];
    private static readonly string[] ProbeKeys = ["t1.a", "t1.ab", "t1.b", "t2.x", "x"];
    private static readonly string[] Patterns = [">", "a.>", "a.*", "a.b", "a.*.c", "a.b.c", "b.>"];
    private static readonly string[] ProbeSubjects = ["a.b", "a.b.c", "a.x", "a.x.c", "b.c", "c"];
    private static readonly string?[] ReplyPrefixes = [null, "_INBOX", "_INBOX.a", "_INBOX.a.x", "_INBOX.b"];
    private static readonly string[] ProbeReplies = ["_INBOX.a.1", "_INBOX.a.x.1", "_INBOX.ab.1", "_INBOX.b.1", "_INBOX.c"];
    private static readonly long?[] LimitValues = [null, 10, 100, 1000];
    private static readonly HttpMethods[] SingleMethods = [HttpMethods.Get, HttpMethods.Post, HttpMethods.Delete];
    private static readonly KvOperations[] SingleOperations = [KvOperations.Get, KvOperations.Put, KvOperations.List];

    private readonly TokenFixture _f = new();

    public void Dispose() => _f.Dispose();

    private static Gen<HttpMethods> MethodsGen => Gen.Choose(1, (int)HttpMethods.All).Select(m => (HttpMethods)m);

    private static Gen<KvOperations> OperationsGen => Gen.Choose(1, (int)KvOperations.All).Select(o => (KvOperations)o);

    private static Gen<HttpRule> HttpRuleGen =>
        from scheme in Gen.Elements("https", "http")
        from host in Gen.Elements(RuleHosts)
        from port in Gen.Elements(443, 8443)
        from methods in MethodsGen
        from path in Gen.Elements(Paths)
        select new HttpRule(scheme, host, port, methods, path);

    private static Gen<KvRule> KvRuleGen =>
        from bucket in Gen.Elements("orders", "users")
        from prefix in Gen.Elements(KvPrefixes)
        from operations in OperationsGen
        select new KvRule(bucket, prefix, operations);

    private static Gen<ImmutableArray<T>> Few<T>(Gen<T> gen) =>
        from count in Gen.Choose(0, 3)
        from items in Gen.ArrayOf(gen, count)
        select items.ToImmutableArray();

    private static Gen<ImmutableArray<T>> SubsetOf<T>(T[] pool, bool nonEmpty) =>
        Gen.SubListOf(pool).Where(l => !nonEmpty || l.Count > 0).Select(l => l.ToImmutableArray());

    private static Gen<Limits> LimitsGen =>
        from fuel in Gen.Elements(LimitValues)
        from memory in Gen.Elements(LimitValues)
        from output in Gen.Elements(LimitValues)
        select new Limits(Fuel: fuel, MemoryBytes: memory, OutputBytes: output);

    private static Gen<FunctionGrant> FunctionGen(string name) =>
        from modules in SubsetOf(Modules, nonEmpty: true)
        from log in Gen.Elements(true, false)
        from http in Few(HttpRuleGen)
        from kv in Few(KvRuleGen)
        from publish in Few(Gen.Elements(Patterns))
        from request in Few(Gen.Elements(Patterns))
        from limits in LimitsGen
        from handsOn in Gen.Elements(true, false)
        select new FunctionGrant(name, modules, new CapabilitySet(log, http, kv, publish, request), limits) { Then = handsOn && name == "f" ? ["g"] : [] };

    // A declared chain only ever goes f -> g, and only where the block grants g (else it would not verify).
    private static Gen<ImmutableArray<FunctionGrant>> FunctionsGen =>
        from names in SubsetOf(Functions, nonEmpty: true)
        from grants in Gen.CollectToArray(names, FunctionGen)
        select grants.Select(g => names.Contains("g") ? g : g with { Then = [] }).ToImmutableArray();

    /// <summary>Any block at all: wider, narrower, or unrelated.</summary>
    private static Gen<BlockClaims> AnyBlockGen =>
        from expiresIn in Gen.Elements<long?>(null, 500, 2000, 5000)
        from notBeforeIn in Gen.Elements<long?>(null, -10, 100)
        from depth in Gen.Elements<int?>(null, 1, 3, 9)
        from audience in Gen.Elements<string?>(null, "f", "g")
        from replyPrefix in Gen.Elements(ReplyPrefixes)
        from functions in Gen.Elements(true, false).SelectMany(restrict => restrict
            ? FunctionsGen.Select(f => (ImmutableArray<FunctionGrant>?)f)
            : Gen.Constant<ImmutableArray<FunctionGrant>?>(null))
        select new BlockClaims
        {
            Expires = TokenFixture.Start.ToUnixTimeSeconds() + expiresIn,
            NotBefore = TokenFixture.Start.ToUnixTimeSeconds() + notBeforeIn,
            MaxDepth = depth,
            Audience = audience,
            ReplyPrefix = replyPrefix,
            Functions = functions,
        };

    private static Gen<ImmutableArray<BlockClaims>> ChainGen =>
        from count in Gen.Choose(1, 3)
        from blocks in Gen.ArrayOf(AnyBlockGen, count)
        select blocks.ToImmutableArray();

    private sealed record Probe(string Function, Sha256Digest Module, int Seconds, Func<Grant, bool> Allows, string What)
    {
        /// <summary>Where the call's answer would go, held to the token's reply binding; null for none.</summary>
        public string? ReplyTo { get; init; }

        public override string ToString() => $"{Function} {Module} +{Seconds}s {What}";
    }

    private static Gen<Probe> ProbeGen =>
        from function in Gen.Elements(Functions)
        from module in Gen.Elements(Modules)
        from seconds in Gen.Elements(0, 300, 1000, 3000)
        from check in Gen.OneOf(
            Gen.Constant<(Func<Grant, bool>, string)>((g => true, "run")),
            Gen.Constant<(Func<Grant, bool>, string)>((g => g.AllowsLog, "log")),
            from scheme in Gen.Elements("https", "http")
            from host in Gen.Elements(ProbeHosts)
            from port in Gen.Elements(443, 8443)
            from method in Gen.Elements(SingleMethods)
            from path in Gen.Elements(ProbePaths)
            select ((Func<Grant, bool>)(g => g.AllowsHttp(scheme, host, port, method, path)), $"{method} {scheme}://{host}:{port}{path}"),
            from bucket in Gen.Elements("orders", "users")
            from key in Gen.Elements(ProbeKeys)
            from op in Gen.Elements(SingleOperations)
            select ((Func<Grant, bool>)(g => g.AllowsKv(bucket, key, op)), $"kv {op} {bucket}/{key}"),
            from subject in Gen.Elements(ProbeSubjects)
            select ((Func<Grant, bool>)(g => g.AllowsPublish(subject)), $"publish {subject}"),
            from subject in Gen.Elements(ProbeSubjects)
            select ((Func<Grant, bool>)(g => g.AllowsRequest(subject)), $"request {subject}"),
            from next in Gen.Elements(Functions)
            select ((Func<Grant, bool>)(g => g.Then.Contains(next)), $"then {next}"))
        from reply in Gen.Elements<string?>([null, .. ProbeReplies])
        select new Probe(function, module, seconds, check.Item1, check.Item2) { ReplyTo = reply };

    private bool Allowed(byte[] token, Probe probe)
    {
        var now = TokenFixture.Start.AddSeconds(probe.Seconds);
        var verified = _f.Verifier.Verify(token);
        if (!verified.IsOk)
        {
            return false;
        }

        var grant = verified.Value.Authorize(probe.Function, probe.Module, now, TimeSpan.Zero);
        return grant.IsOk && probe.Allows(grant.Value) && verified.Value.AllowsReply(probe.ReplyTo);
    }

    // What a token allows, or allows after one hop: its audience function handing it to the probed
    // function, which the verifier accepts only where that function may call the other. A hop
    // moves authority along a path the grant already opened; it never opens one.
    private bool Reachable(byte[] token, Probe probe) =>
        Allowed(token, probe) || Allowed(TokenFixture.AppendUnchecked(token, new BlockClaims { Audience = probe.Function }), probe);

    [Fact]
    public void AppendingAnyBlocks_NeverAllowsWhatTheTokenBeforeDidNot()
    {
        var accepted = 0;
        var cases =
            from functions in FunctionsGen
            from replyPrefix in Gen.Elements(ReplyPrefixes)
            from chain in ChainGen
            from probes in Gen.ArrayOf(ProbeGen, 40)
            select (functions, replyPrefix, chain, probes);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var token = _f.Issue(_f.RootClaims([.. c.functions]) with { Expires = TokenFixture.Start.ToUnixTimeSeconds() + 4000, ReplyPrefix = c.replyPrefix });
            foreach (var block in c.chain)
            {
                var next = TokenFixture.AppendUnchecked(token, block);
                if (_f.Verifier.Verify(next).IsOk)
                {
                    accepted++;
                }

                foreach (var probe in c.probes)
                {
                    if (Allowed(next, probe) && !Reachable(token, probe))
                    {
                        return false;
                    }
                }

                token = next;
            }

            return true;
        }));

        // Guard against a vacuous pass: some appended blocks must verify.
        Assert.True(accepted > 30, $"only {accepted} appended chains verified");
    }

    [Fact]
    public void AttenuatingWithANarrowerGrant_AlwaysVerifies()
    {
        var cases =
            from functions in FunctionsGen
            from seed in Gen.Choose(0, int.MaxValue)
            select (functions, seed);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var token = _f.Issue(_f.RootClaims([.. c.functions]));
            var random = new Random(c.seed);
            var narrower = c.functions.Where(_ => random.Next(3) > 0).Select(f => Narrow(f, random)).ToImmutableArray();
            if (narrower.IsEmpty)
            {
                narrower = [Narrow(c.functions[0], random)];
            }

            // A block's next steps must be functions it grants: dropping a function drops the steps to it.
            narrower = [.. narrower.Select(f => f with { Then = [.. f.Then.Where(t => narrower.Any(n => n.Function == t))] })];

            var result = TokenIssuer.Attenuate(token, new BlockClaims { Functions = narrower, Expires = _f.Now + 60 });
            return result.IsOk && _f.Verifier.Verify(result.Value).IsOk;
        }));
    }

    // A grant that is a subset by construction: fewer things, each no wider.
    private static FunctionGrant Narrow(FunctionGrant grant, Random random)
    {
        T[] Some<T>(ImmutableArray<T> items) => [.. items.Where(_ => random.Next(2) == 0)];
        var caps = grant.Capabilities;
        var http = Some(caps.Http).Select(r => r with
        {
            Methods = NarrowFlags(r.Methods, random),
            PathPrefix = random.Next(2) == 0 ? r.PathPrefix : r.PathPrefix.TrimEnd('/') + "/deeper",
            Host = r.IsWildcard && random.Next(2) == 0 ? "x" + r.Host[1..] : r.Host,
        });
        var kv = Some(caps.Kv).Select(r => r with
        {
            Operations = (KvOperations)NarrowFlags((HttpMethods)r.Operations, random),
            KeyPrefix = r.KeyPrefix + (random.Next(2) == 0 ? "" : "z"),
        });
        string NarrowSubject(string s) => s.EndsWith('>') && random.Next(2) == 0 ? s[..^1] + "x.>" : s;
        var modules = Some(grant.Modules);
        return new FunctionGrant(
            grant.Function,
            modules.Length == 0 ? [grant.Modules[0]] : [.. modules],
            new CapabilitySet(caps.Log && random.Next(2) == 0, [.. http], [.. kv], [.. Some(caps.Publish).Select(NarrowSubject)], [.. Some(caps.Request).Select(NarrowSubject)]),
            grant.Limits with { Fuel = grant.Limits.Fuel / 2 is var half && half > 0 ? half : grant.Limits.Fuel })
        {
            Then = [.. Some(grant.Then)],
        };
    }

    private static HttpMethods NarrowFlags(HttpMethods flags, Random random)
    {
        var narrowed = flags & (HttpMethods)random.Next(1, 128);
        return narrowed == HttpMethods.None ? flags : narrowed;
    }
}
