using System.Buffers.Binary;
using System.Collections.Concurrent;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Messaging;
using Mesh.Node.Modules;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.Core;

namespace Mesh.IntegrationTests.Attacks;

/// <summary>
/// Issue 11 §6: limits that let one guest or caller hurt the node. An output at the documented
/// ceiling, a flood of invalid tokens beside good calls, modules built to be costly to compile,
/// and more durable jobs than the node has sandboxes: each ends in a code, and the node serves on.
/// (Host calls and draining against deadlines are <see cref="DeadlineAttackTests"/>.)
/// </summary>
public sealed class NodeLimitAttackTests(NodeLimitAttackTests.SmallNode fixture) : IClassFixture<NodeLimitAttackTests.SmallNode>
{
    public sealed class SmallNode : OwnMeshFixture
    {
        public const long CacheBytes = 4L * 1024 * 1024;

        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Mesh:Execution:Concurrency"] = "2",
            ["Mesh:Jobs:Concurrency"] = "12",
            ["Mesh:Modules:CacheBytes"] = CacheBytes.ToString(),
        };

        public Sha256Digest Echo { get; private set; }

        public string EchoToken { get; private set; } = "";

        public IServiceProvider Node => Mesh.Nodes[0].Services;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Echo = await Mesh.DeployAsync(MeshCluster.Wat("echo"));
            EchoToken = Mesh.Grant("echo", Echo);
        }
    }

    private MeshCluster Mesh => fixture.Mesh;

    private NodeStats Stats => fixture.Node.GetRequiredService<NodeStats>();

    private async Task AssertStillServingAsync()
    {
        var reply = await Mesh.CallAsync("echo", fixture.EchoToken, "still serving");
        Assert.True(reply.IsOk, reply.ToString());
    }

    // max_payload is 1 MiB on a default server; a reply's headers need room besides the output.
    [Theory]
    [InlineData(1024 * 1024, false)]
    [InlineData(1024 * 1024 - PayloadLimit.HeaderRoom + 1, false)]
    [InlineData(1024 * 1024 - PayloadLimit.HeaderRoom, true)]
    public async Task AnOutputAtTheMessageCeiling_IsOutputTooLarge_NeverInternal(int size, bool fits)
    {
        var sized = await Mesh.DeployAsync(MeshCluster.Wat("sized-output"));
        var input = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(input, size);

        var reply = Reply.From(await Mesh.Client.RequestAsync<byte[], byte[]>("mesh.fn.sized", input, new NatsHeaders { [MeshHeaders.Token] = Mesh.Grant("sized", sized) }));

        if (fits)
        {
            Assert.True(reply.IsOk, reply.ToString());
            Assert.Equal(size, reply.Data.Length);
        }
        else
        {
            Assert.Equal(ErrorCode.FunctionOutputTooLarge.ToWire(), reply.Status);
        }

        await AssertStillServingAsync();
    }

    [Fact]
    public async Task AFanOutWhoseOutputsTogetherExceedAMessage_IsOutputTooLarge_NamingTheFanningStep()
    {
        var sized = await Mesh.DeployAsync(MeshCluster.Wat("sized-output"));
        var echo = fixture.Echo;
        var token = Mesh.GrantAll(
        [
            new FunctionGrant("big", [sized], CapabilitySet.None, Limits.None) { Then = ["copy-a", "copy-b"] },
            new FunctionGrant("copy-a", [echo], CapabilitySet.None, Limits.None),
            new FunctionGrant("copy-b", [echo], CapabilitySet.None, Limits.None),
        ]);
        var input = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(input, 700 * 1024);

        var reply = Reply.From(await Mesh.Client.RequestAsync<byte[], byte[]>("mesh.fn.big", input, new NatsHeaders { [MeshHeaders.Token] = token }));

        Assert.Equal((ErrorCode.FunctionOutputTooLarge.ToWire(), "big", "1"), (reply.Status, reply.Function, reply.Step));
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task AFloodOfInvalidTokens_DoesNotCrowdOutGoodCalls_EveryGoodCallSucceedsFirstTime()
    {
        var good = fixture.EchoToken;
        await AssertStillServingAsync();
        var bytes = TokenCodec.FromText(good, 8192).Value!;
        var flipped = (byte[])bytes.Clone();
        flipped[^10] ^= 0x01;
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var expired = TokenIssuer.Issue(Mesh.Issuer, new BlockClaims
        {
            TokenId = TokenIssuer.NewTokenId(),
            IssuedAt = now - 3600,
            Expires = now - 120,
            MaxDepth = 1,
            Functions = [new FunctionGrant("echo", [fixture.Echo], CapabilitySet.None, Limits.None)],
        }).Value!;
        string Forged(int i)
        {
            var forged = (byte[])bytes.Clone();
            BinaryPrimitives.WriteInt32LittleEndian(forged.AsSpan(forged.Length - 40), i);
            return TokenCodec.ToText(forged);
        }

        var floods = new[] { TokenCodec.ToText(flipped), TokenCodec.ToText(expired), "not-a-token!", "" };
        await using var inbox = await Mesh.Client.SubscribeCoreAsync<byte[]>("_INBOX.flood.>");
        var answered = new ConcurrentDictionary<string, int>();
        var counting = Task.Run(async () =>
        {
            await foreach (var msg in inbox.Msgs.ReadAllAsync())
            {
                answered.AddOrUpdate(msg.Headers?[MeshHeaders.Status].ToString() ?? "?", 1, (_, n) => n + 1);
            }
        });

        // 10,000 invalid tokens: repeated forgeries, expired, malformed, missing, and distinct forgeries.
        const int floodSize = 10_000;
        var flood = Task.Run(async () =>
        {
            for (var i = 0; i < floodSize; i++)
            {
                var token = i % 5 == 4 ? Forged(i) : floods[i % 4];
                await Mesh.Client.PublishAsync("mesh.fn.echo", "flood"u8.ToArray(), new NatsHeaders { [MeshHeaders.Token] = token }, $"_INBOX.flood.{i}");
            }
        });
        var calls = await Task.WhenAll(Enumerable.Range(0, 8).Select(async worker =>
        {
            var replies = new List<Reply>();
            for (var i = 0; i < 25; i++)
            {
                replies.Add(await Mesh.CallAsync("echo", good, $"good {worker}.{i}"));
            }

            return replies;
        }));
        await flood;

        Assert.All(calls.SelectMany(c => c), r => Assert.True(r.IsOk, r.ToString()));
        await Eventually.HoldsAsync(() => answered.Values.Sum() == floodSize, "every flood message is answered");
        Assert.True(answered.GetValueOrDefault(ErrorCode.TokenSignature.ToWire()) > 0);
        Assert.True(answered.GetValueOrDefault(ErrorCode.TokenExpired.ToWire()) > 0);
        Assert.True(answered.GetValueOrDefault(ErrorCode.TokenMalformed.ToWire()) > 0);
        Assert.True(answered.GetValueOrDefault(ErrorCode.TokenMissing.ToWire()) > 0);
        Assert.DoesNotContain("ok", answered.Keys);
        await AssertStillServingAsync();
        _ = counting;
    }

    [Fact]
    public async Task AModuleWithTooManyFunctions_IsRefusedBeforeCompiling()
    {
        var huge = await Mesh.DeployAsync(Wasmtime.Module.ConvertText(ModuleMemoryAttackTests.ManyFunctions(20_000, salt: 1)));
        var cache = fixture.Node.GetRequiredService<ModuleCache>();
        var (count, bytes) = (cache.Count, cache.Bytes);

        var reply = await Mesh.CallAsync("huge", Mesh.Grant("huge", huge), "x");

        Assert.Equal(ErrorCode.ModuleInvalid, reply.Code);
        Assert.Contains("defines 20001 functions", reply.Message);
        Assert.Contains("Mesh:Modules:MaxFunctions", reply.Message);
        Assert.Equal((count, bytes), (cache.Count, cache.Bytes));
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task ManyDistinctModules_KeepTheCompiledCacheWithinItsMemoryBound()
    {
        var cache = fixture.Node.GetRequiredService<ModuleCache>();
        for (var i = 0; i < 20; i++)
        {
            var module = await Mesh.DeployAsync(Wasmtime.Module.ConvertText(ModuleMemoryAttackTests.ManyFunctions(1_000, salt: 100 + i)));
            var reply = await Mesh.CallAsync("many", Mesh.Grant("many", module), "x");
            Assert.True(reply.IsOk, reply.ToString());
            Assert.True(cache.Bytes <= SmallNode.CacheBytes + 1024 * 1024, $"{cache.Bytes} bytes cached after {i + 1} modules");
        }

        Assert.InRange(cache.Count, 2, 19);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task MoreJobsThanSandboxes_AndCallsBesideThem_AllRun_NoneFailsToInstantiate()
    {
        var spin = await Mesh.DeployAsync(MeshCluster.Wat("spin"));
        var token = Mesh.Grant("spin", spin);
        var input = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(input, 20_000_000);
        var (before, failures) = (Stats.Invocations, Stats.Errors);

        // 12 jobs in hand at once on a node with 2 sandboxes; the pool is sized from the 2.
        for (var i = 0; i < 12; i++)
        {
            var published = await Cli.RunAsync("publish", "spin", "--token", token, "--file", WriteTemp(input), "--durable", "--nats", fixture.Url);
            Assert.True(published.Exit == 0, published.Error);
        }

        var calls = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Mesh.Client.RequestAsync<byte[], byte[]>(
            "mesh.fn.spin", input, new NatsHeaders { [MeshHeaders.Token] = token }, replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(30) }).AsTask()));

        Assert.All(calls.Select(Reply.From), r => Assert.True(r.IsOk, r.ToString()));
        await Eventually.HoldsAsync(() => Stats.Invocations >= before + 18, "every job and call ran", TimeSpan.FromSeconds(60));
        Assert.Equal(failures, Stats.Errors);
        Assert.Equal("", (await Cli.RunAsync("jobs", "dead", "--nats", fixture.Url)).Out);
    }

    private static string WriteTemp(byte[] bytes)
    {
        var path = Path.GetTempFileName();
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
