using Mesh.Cli.Local;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Rules;
using Mesh.Contracts.Wire;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.IntegrationTests;

/// <summary>Key-value from inside a function: state that outlives nodes, and prefixes nothing escapes.</summary>
[Collection(NatsServerDefinition.Name)]
public sealed class KvCapabilityTests(NatsServerFixture nats) : IAsyncLifetime
{
    private MeshCluster _mesh = null!;
    private INatsKVStore _counters = null!;
    private Sha256Digest _probe;

    public async Task InitializeAsync()
    {
        _mesh = await nats.SharedMeshAsync();
        var kv = new NatsKVContext(new NatsJSContext(_mesh.Client));
        _counters = await kv.CreateStoreAsync(new NatsKVConfig("counters"));
        await kv.CreateStoreAsync(new NatsKVConfig("users"));
        _probe = await _mesh.DeployAsync(MeshCluster.Wat("kv-put-probe"));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private string ProbeGrant(KvOperations operations = KvOperations.Get | KvOperations.Put) =>
        _mesh.Grant("kvprobe", _probe, CapabilitySet.None with { Kv = [new KvRule("counters", "hits.", operations)] });

    [Fact]
    public async Task ACounter_InAssemblyScript_SurvivesANodeRestart()
    {
        var path = Path.Combine(MeshCluster.RepositoryRoot(), "examples", "counter-as", "build", "counter-as.wasm");
        Assert.True(File.Exists(path), $"{path} is missing: scripts/build-examples.sh builds it");
        var counter = await _mesh.DeployAsync(await File.ReadAllBytesAsync(path));
        var token = _mesh.Grant("counter", counter, CapabilitySet.None with { Kv = [new KvRule("counters", "hits.", KvOperations.Get | KvOperations.Put)] });
        var name = $"restart-{Guid.NewGuid():N}";

        Assert.Equal("1", (await _mesh.CallAsync("counter", token, name)).Output);
        Assert.Equal("2", (await _mesh.CallAsync("counter", token, name)).Output);

        await _mesh.StopNodeAsync(_mesh.Nodes[0]);
        await _mesh.StartNodeAsync();

        var third = await _mesh.CallAsync("counter", token, name);
        Assert.True(third.IsOk, third.ToString());
        Assert.Equal("3", third.Output);
    }

    [Fact]
    public async Task Put_UnderTheGrantedPrefix_IsStored()
    {
        var reply = await _mesh.CallAsync("kvprobe", ProbeGrant(), "counters/hits.probe");

        Assert.True(reply.IsOk, reply.ToString());
        Assert.Equal("hello", System.Text.Encoding.UTF8.GetString((await _counters.GetEntryAsync<byte[]>("hits.probe")).Value!));
    }

    // The probe returns the host's status negated: 1 denied, 7 invalid key.
    [Theory]
    [InlineData("users/hits.x", 1)]
    [InlineData("counters/admin.x", 1)]
    [InlineData("counters/hits", 1)]
    [InlineData("counters/hit.x", 1)]
    [InlineData("counters/hits.*", 7)]
    [InlineData("counters/hits.>", 7)]
    [InlineData("counters/hits..x", 7)]
    [InlineData("counters/hits.x.", 7)]
    [InlineData("counters/hits.a b", 7)]
    [InlineData("counters/", 7)]
    public async Task Put_OutsideThePrefix_OrWithATrickKey_IsRefused(string target, int status)
    {
        var reply = await _mesh.CallAsync("kvprobe", ProbeGrant(), target);

        Assert.Equal(ErrorCode.FunctionError.ToWire(), reply.Status);
        Assert.Equal($"the function returned {status}", reply.Message);
    }

    [Fact]
    public async Task MeshKvCommands_CreateABucket_AndReadWhatAFunctionStored()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var context = new Mesh.Cli.CliContext(output, error, new StringReader(""), TimeProvider.System);
        Assert.True((await _mesh.CallAsync("kvprobe", ProbeGrant(), "counters/hits.cli")).IsOk);

        Assert.Equal(0, await Mesh.Cli.MeshCli.RunAsync(["kv", "create", "scratch", "--nats", _mesh.Url], context));
        Assert.Equal(0, await Mesh.Cli.MeshCli.RunAsync(["kv", "get", "counters", "hits.cli", "--nats", _mesh.Url], context));
        Assert.Equal(1, await Mesh.Cli.MeshCli.RunAsync(["kv", "get", "counters", "hits.absent", "--nats", _mesh.Url], context));

        Assert.Equal("scratch\nhello", output.ToString().Trim().ReplaceLineEndings("\n"));
        Assert.StartsWith("mesh: kv.not_found: ", error.ToString());
    }

    [Fact]
    public async Task Put_UnderAGetOnlyGrant_IsDenied()
    {
        var reply = await _mesh.CallAsync("kvprobe", ProbeGrant(KvOperations.Get), "counters/hits.readonly");

        Assert.Equal("the function returned 1", reply.Message);
        await Assert.ThrowsAsync<NatsKVKeyNotFoundException>(async () => await _counters.GetEntryAsync<byte[]>("hits.readonly"));
    }

    [Fact]
    public async Task ImportingKeyValue_WithoutAnyKeyValueRule_CannotLink()
    {
        var reply = await _mesh.CallAsync("kvprobe", _mesh.Grant("kvprobe", _probe), "counters/hits.x");

        Assert.Equal(ErrorCode.CapabilityDenied.ToWire(), reply.Status);
        Assert.Contains("key-value", reply.Message);
    }
}
