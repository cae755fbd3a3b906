using System.Diagnostics;
using Mesh.Cli;
using Mesh.Cli.Local;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Revocation;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;
using Xunit.Abstractions;

namespace Mesh.IntegrationTests;

/// <summary>
/// Revocation through the bucket every node watches: a revoked token stops working on every node
/// within a second, cached or not; an issuer can be revoked whole; a node that cannot see the
/// bucket fails closed. Own nats-server: these tests delete the bucket.
/// </summary>
public sealed class RevocationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private NatsServerProcess _nats = null!;
    private MeshCluster _mesh = null!;
    private Sha256Digest _echo;

    public async Task InitializeAsync()
    {
        _nats = await NatsServerProcess.StartAsync();
        _mesh = await MeshCluster.StartAsync(_nats.Url, nodes: 2, settings: new Dictionary<string, string?>
        {
            ["Mesh:Revocation:GracePeriod"] = "00:00:01.500",
            ["Mesh:Revocation:CheckInterval"] = "00:00:00.200",
        });
        _echo = await _mesh.DeployAsync(MeshCluster.Wat("echo"));
    }

    public async Task DisposeAsync()
    {
        await _mesh.DisposeAsync();
        _nats.Dispose();
    }

    private Task<(int Exit, string Out, string Error)> CliAsync(params string[] args) => Cli.RunAsync([.. args, "--nats", _mesh.Url]);

    private IEnumerable<RevocationList> Lists => _mesh.Nodes.Select(n => n.Services.GetRequiredService<RevocationList>());

    [Fact]
    public async Task ARevokedToken_StopsWorkingOnEveryNode_WithinASecond()
    {
        var token = _mesh.Grant("echo", _echo);
        var id = TokenCodec.Decode(TokenCodec.FromText(token, 8192).Value!).Value!;
        var tokenId = Convert.ToHexStringLower(TokenCodec.DecodeClaims(id.Blocks[0].Payload).Value!.TokenId.AsSpan());
        for (var i = 0; i < 10; i++)
        {
            Assert.True((await _mesh.CallAsync("echo", token, "cached now")).IsOk);
        }

        var (exit, printed, error) = await CliAsync("token", "revoke", token, "--reason", "leaked in a log");
        var revoked = Stopwatch.StartNew();
        Assert.True(exit == 0, error);
        Assert.Equal($"revoked token.{tokenId}", printed.Trim());
        while (!Lists.All(l => l.IsRevoked(tokenId)) && revoked.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(5);
        }

        output.WriteLine($"every node knew {revoked.Elapsed.TotalMilliseconds:0.0} ms after mesh token revoke returned");
        Assert.True(revoked.Elapsed < TimeSpan.FromSeconds(1), $"every node knew after {revoked.Elapsed.TotalMilliseconds:0} ms");
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(ErrorCode.TokenRevoked, (await _mesh.CallAsync("echo", token, "after")).Code);
        }

        // Lifting it is a revocation too: deleting the key.
        Assert.Equal(0, (await CliAsync("token", "revoke", "--id", tokenId, "--lift")).Exit);
        await WaitUntilAsync(() => Lists.All(l => !l.IsRevoked(tokenId)));
        Assert.True((await _mesh.CallAsync("echo", token, "again")).IsOk);
    }

    [Fact]
    public async Task ARevokedIssuer_StopsEverythingItSigned_AndNothingElse()
    {
        using var other = SigningKey.Generate();
        var node = await _mesh.StartNodeAsync(new Dictionary<string, string?>
        {
            ["Mesh:Tokens:TrustedRoots:1"] = other.PublicKeyText,
        });
        foreach (var n in _mesh.Nodes.Where(n => n != node).ToList())
        {
            await _mesh.StopNodeAsync(n);
        }

        var revokedToken = TokenCodec.ToText(_mesh.GrantBytes("echo", _echo, issuer: other));
        var keptToken = _mesh.Grant("echo", _echo);

        Assert.Equal(0, (await CliAsync("token", "revoke", "--issuer", other.PublicKeyText)).Exit);
        await WaitUntilAsync(async () => (await _mesh.CallAsync("echo", revokedToken, "x")).Code == ErrorCode.TokenRevoked);

        Assert.True((await _mesh.CallAsync("echo", keptToken, "x")).IsOk);
    }

    [Fact]
    public async Task ANodeStartedAfterARevocation_RefusesFromItsFirstCall()
    {
        var token = _mesh.Grant("echo", _echo);
        Assert.Equal(0, (await CliAsync("token", "revoke", token)).Exit);

        foreach (var n in _mesh.Nodes.ToList())
        {
            await _mesh.StopNodeAsync(n);
        }

        await _mesh.StartNodeAsync();
        Assert.Equal(ErrorCode.TokenRevoked, (await _mesh.CallAsync("echo", token, "first")).Code);
    }

    [Fact]
    public async Task ANodeThatLosesTheRevocationFeed_FailsClosed_AndDoesNotRecreateIt()
    {
        var token = _mesh.Grant("echo", _echo);
        Assert.True((await _mesh.CallAsync("echo", token, "before")).IsOk);

        // Deleting the bucket would lift every revocation in it; the nodes refuse instead.
        await new NatsKVContext(new NatsJSContext(_mesh.Client)).DeleteStoreAsync(RevocationKeys.DefaultBucket);
        await WaitUntilAsync(() => Lists.All(l => !l.IsCurrent));
        Assert.Equal(ErrorCode.NodeRevocationUnknown, (await _mesh.CallAsync("echo", token, "x")).Code);
        var stats = System.Text.Json.JsonDocument.Parse((await _mesh.Client.RequestAsync<string>("$SRV.STATS.mesh-node")).Data!).RootElement;
        Assert.False(stats.GetProperty("endpoints")[0].GetProperty("data").GetProperty("ready").GetBoolean());

        // Back when an operator restores it.
        Assert.Equal(0, (await CliAsync("token", "revoke", "--id", new string('0', 32))).Exit);
        await WaitUntilAsync(async () => (await _mesh.CallAsync("echo", token, "x")).IsOk);
    }

    [Fact]
    public async Task ABucketDeletedAndMadeAgainAtOnce_IsReadAfresh_BeforeTheCommandReturns()
    {
        // Nodes that applied entries up to 3 of the old bucket must not take "nothing past 3" from
        // the new one, whose first entry (the new revocation) is 1.
        foreach (var id in new[] { 'a', 'b', 'c' })
        {
            Assert.Equal(0, (await CliAsync("token", "revoke", "--id", new string(id, 32))).Exit);
        }

        var lifted = _mesh.Grant("echo", _echo);
        Assert.Equal(0, (await CliAsync("token", "revoke", lifted)).Exit);
        await WaitUntilAsync(async () => (await _mesh.CallAsync("echo", lifted, "x")).Code == ErrorCode.TokenRevoked);

        var revoked = _mesh.Grant("echo", _echo);
        await new NatsKVContext(new NatsJSContext(_mesh.Client)).DeleteStoreAsync(RevocationKeys.DefaultBucket);
        Assert.Equal(0, (await CliAsync("token", "revoke", revoked)).Exit);

        Assert.Equal(ErrorCode.TokenRevoked, (await _mesh.CallAsync("echo", revoked, "x")).Code);
        await WaitUntilAsync(async () => (await _mesh.CallAsync("echo", lifted, "x")).IsOk);
    }

    [Fact]
    public async Task ABucketMadeWithoutDirectGets_StillKeepsNodesFresh_AndRevokes()
    {
        var token = _mesh.Grant("echo", _echo);
        var kept = _mesh.Grant("echo", _echo);
        var js = new NatsJSContext(_mesh.Client);
        await new NatsKVContext(js).DeleteStoreAsync(RevocationKeys.DefaultBucket);
        await WaitUntilAsync(() => Lists.All(l => !l.IsCurrent));

        // Made by hand or by an older tool: a key-value bucket only its leader can answer for.
        var bucket = RevocationKeys.DefaultBucket;
        await js.CreateStreamAsync(new NATS.Client.JetStream.Models.StreamConfig($"KV_{bucket}", [$"$KV.{bucket}.>"])
        {
            MaxMsgsPerSubject = 1,
            AllowRollupHdrs = true,
            DenyDelete = true,
            AllowDirect = false,
            Discard = NATS.Client.JetStream.Models.StreamConfigDiscard.New,
        });
        await WaitUntilAsync(() => Lists.All(l => l.IsCurrent));

        Assert.Equal(0, (await CliAsync("token", "revoke", token)).Exit);
        Assert.Equal(ErrorCode.TokenRevoked, (await _mesh.CallAsync("echo", token, "x")).Code);

        // Each confirmation is answered, so no node's knowledge ages past its promise: three
        // seconds of calls (three times the staleness bound) are all served.
        var watched = Stopwatch.StartNew();
        while (watched.Elapsed < TimeSpan.FromSeconds(3))
        {
            Assert.True((await _mesh.CallAsync("echo", kept, "x")).IsOk);
            Assert.True(Lists.All(l => l.IsCurrent));
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task MoreThanOneReplica_OnAServerThatIsNotClustered_IsRefused_NotSilentlyOneCopy()
    {
        var module = Path.Combine(AppContext.BaseDirectory, "modules", "echo.wat");

        var deploy = await CliAsync("deploy", module, "--replicas", "3");
        var revoke = await CliAsync("token", "revoke", "--id", new string('b', 32), "--replicas", "3");

        Assert.Equal(2, deploy.Exit);
        Assert.Contains("not clustered", deploy.Error);
        Assert.Equal(2, revoke.Exit);
        var stream = await new NatsJSContext(_mesh.Client).GetStreamAsync("KV_" + RevocationKeys.DefaultBucket);
        Assert.Equal(1, stream.Info.Config.NumReplicas);
    }

    [Theory]
    [InlineData("--id", "xyz")]
    [InlineData("--issuer", "not-a-key")]
    public async Task ABadRevocation_IsAUsageError(string option, string value)
    {
        Assert.Equal(2, (await CliAsync("token", "revoke", option, value)).Exit);
    }

    private static Task WaitUntilAsync(Func<bool> condition) => Eventually.HoldsAsync(condition, "the revocation condition");

    private static Task WaitUntilAsync(Func<Task<bool>> condition) => Eventually.HoldsAsync(condition, "the revocation condition");
}
