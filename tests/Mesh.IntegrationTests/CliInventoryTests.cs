using System.Text.Json;
using Mesh.Contracts.Tokens;

namespace Mesh.IntegrationTests;

/// <summary><c>mesh nodes</c>, <c>mesh ls</c>, <c>mesh rm</c> and <c>mesh jobs retry|purge</c> against a real mesh.</summary>
[Collection(NatsServerDefinition.Name)]
public sealed class CliInventoryTests(NatsServerFixture nats) : IAsyncLifetime
{
    private MeshCluster _mesh = null!;

    public async Task InitializeAsync() => _mesh = await nats.SharedMeshAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<string> OkAsync(params string[] args)
    {
        var (exit, output, error) = await Cli.RunAsync([.. args, "--nats", _mesh.Url]);
        Assert.True(exit == 0, $"mesh {string.Join(' ', args)}: {error}");
        return output;
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    [Fact]
    public async Task Nodes_ListsEveryNodeThatAnswers_WithReadinessAndCalls()
    {
        var table = await OkAsync("nodes");
        var json = JsonDocument.Parse(await OkAsync("nodes", "-o", "json")).RootElement;

        Assert.StartsWith("ID\tREADY\tIN FLIGHT\tCALLS", table, StringComparison.Ordinal);
        // Other tests on this server may have nodes of their own: at least the shared one answers.
        var nodes = json.EnumerateArray().ToList();
        Assert.NotEmpty(nodes);
        Assert.Contains(nodes, n => n.GetProperty("ready").GetBoolean());
        Assert.All(nodes, n => Assert.Contains(n.GetProperty("id").GetString()!, table, StringComparison.Ordinal));
        Assert.All(nodes, n => Assert.True(n.GetProperty("calls").GetInt64() >= 0));
    }

    [Fact]
    public async Task Ls_ShowsADeployedModule_WithItsSource_AndAFunctionThatRan_ThenRmDeletesIt()
    {
        var dir = Directory.CreateTempSubdirectory("mesh-ls-");
        try
        {
            // A module of its own (a distinct digest), from a file with a name to recognise.
            var wat = File.ReadAllText(Path.Combine(MeshCluster.RepositoryRoot(), "examples", "wat", "echo.wat")) + $"\n;; {Guid.NewGuid()}\n";
            var file = Path.Combine(dir.FullName, "mine.wat");
            await File.WriteAllTextAsync(file, wat);
            var digest = (await OkAsync("deploy", file)).Trim();
            var function = Unique("listed");
            Assert.True(Sha256Digest.TryParse(digest, out var parsed), digest);
            Assert.True((await _mesh.CallAsync(function, _mesh.Grant(function, parsed), "hi")).IsOk);

            var listing = "";
            await Eventually.HoldsAsync(async () => (listing = await OkAsync("ls")).Contains(function, StringComparison.Ordinal), "the function that ran is listed");
            Assert.Matches($@"{digest}\t\d+\t[\d-]+ [\d:]+\tmine\.wat", listing);
            var json = JsonDocument.Parse(await OkAsync("ls", "-o", "json")).RootElement;
            Assert.Contains(json.GetProperty("modules").EnumerateArray(), m => m.GetProperty("digest").GetString() == digest && m.GetProperty("from").GetString() == "mine.wat");
            Assert.Contains(json.GetProperty("functions").EnumerateArray(), f => f.GetProperty("name").GetString() == function);

            var (exit, _, error) = await Cli.RunAsync("rm", digest, "--nats", _mesh.Url);
            Assert.True(exit == 0, error);
            Assert.DoesNotContain(digest, await OkAsync("ls"), StringComparison.Ordinal);
            var (again, _, twice) = await Cli.RunAsync("rm", digest, "--nats", _mesh.Url);
            Assert.Equal(1, again);
            Assert.StartsWith("mesh: module.not_found: ", twice, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task JobsRetry_QueuesADeadLetterAgain_WithTheTokenGiven_AndPurgeDeletesTheRest()
    {
        var wasm = Wasmtime.Module.ConvertText(File.ReadAllText(Path.Combine(MeshCluster.RepositoryRoot(), "examples", "wat", "hello-log.wat")));
        var module = await _mesh.DeployAsync(wasm);
        var function = Unique("retried");
        var right = _mesh.Grant(function, module, CapabilitySet.None with { Log = true });
        var wrong = _mesh.Grant(Unique("other"), module, CapabilitySet.None with { Log = true });
        var input = Unique("input");
        await OkAsync("publish", function, "--durable", "--token", wrong, "--data", input);
        await OkAsync("publish", function, "--durable", "--token", wrong, "--data", input + "-2");
        await Eventually.HoldsAsync(async () => (await OkAsync("jobs", "dead")).Contains("input=" + input + "-2", StringComparison.Ordinal), "both jobs are dead letters");
        var first = (await OkAsync("jobs", "dead")).Split('\n').Single(l => l.EndsWith("input=" + input, StringComparison.Ordinal));
        var seq = first.Split('\t')[0]["seq=".Length..];

        var (exit, _, said) = await Cli.RunAsync("jobs", "retry", function, "--seq", seq, "--token", right, "--nats", _mesh.Url);

        Assert.True(exit == 0, said);
        Assert.Equal($"mesh: queued 1 dead letter(s) of '{function}' again\n", said);
        await Eventually.HoldsAsync(async () => (await OkAsync("logs", function)).Contains($"info {input}", StringComparison.Ordinal), "the retried job ran with the token given");
        var dead = await OkAsync("jobs", "dead");
        Assert.DoesNotContain("input=" + input + "\n", dead, StringComparison.Ordinal);
        Assert.Contains("input=" + input + "-2", dead, StringComparison.Ordinal);

        var (purged, _, purgedSaid) = await Cli.RunAsync("jobs", "purge", function, "--nats", _mesh.Url);
        Assert.Equal(0, purged);
        Assert.Equal("mesh: purged 1 dead letter(s)\n", purgedSaid);
        Assert.DoesNotContain(function, await OkAsync("jobs", "dead"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_OnAHealthyMesh_PassesEveryMeshCheck_AndNamesTheNodesClock()
    {
        var (exit, output, error) = await Cli.RunAsync("doctor", "-o", "json", "--nats", _mesh.Url);

        Assert.True(exit == 0, output + error);
        var checks = JsonDocument.Parse(output).RootElement.EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("result").GetString());
        foreach (var name in new[] { "nats", "jetstream", "OBJ_mesh-modules", "KV_mesh-revocations", "MESH_JOBS", "MESH_DEAD", "MESH_LOGS", "nodes", "clock" })
        {
            Assert.True(checks.TryGetValue(name, out var result) && result == "ok", $"{name}: {(checks.TryGetValue(name, out var r) ? r : "missing")}\n{output}");
        }
    }

    [Fact]
    public async Task Doctor_WithNatsDown_FailsOnNats_AndStillChecksTheToolchains()
    {
        var (exit, output, _) = await Cli.RunAsync("doctor", "--nats", "nats://127.0.0.1:1");

        Assert.Equal(1, exit);
        Assert.Contains("nats\tFAIL\tcannot connect to NATS at nats://127.0.0.1:1", output, StringComparison.Ordinal);
        Assert.Contains("toolchain: WAT\tok", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JobsDead_PrintsACallersInput_AsText_NeverAsTerminalControl()
    {
        var module = await _mesh.DeployAsync(MeshCluster.Wat("fails"));
        var function = Unique("hostile-input");
        var marker = Unique("marker");
        await OkAsync("publish", function, "--durable", "--token", _mesh.Grant(Unique("other"), module), "--data", $"\u001b[2J{marker}\tforged\u009b");

        var line = "";
        await Eventually.HoldsAsync(async () => (line = (await OkAsync("jobs", "dead")).Split('\n').FirstOrDefault(l => l.Contains(marker, StringComparison.Ordinal)) ?? "").Length > 0, "the job is a dead letter");

        Assert.DoesNotContain('\u001b', line);
        Assert.DoesNotContain('\u009b', line);
        Assert.Equal(6, line.Split('\t').Length);
    }

    [Fact]
    public async Task Kv_PutGetLsRm_RoundTrip()
    {
        var bucket = Unique("bucket");
        await OkAsync("kv", "create", bucket);
        Assert.Equal("1\n", await OkAsync("kv", "put", bucket, "a.b", "--data", "one"));
        await OkAsync("kv", "put", bucket, "a.c", "--data", "three");

        Assert.Equal("one\n", await OkAsync("kv", "get", bucket, "a.b"));
        var keys = JsonDocument.Parse(await OkAsync("kv", "ls", bucket, "-o", "json")).RootElement.EnumerateArray().ToDictionary(k => k.GetProperty("key").GetString()!, k => k.GetProperty("bytes").GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["a.b"] = 3, ["a.c"] = 5 }, keys);

        var (exit, _, error) = await Cli.RunAsync("kv", "rm", bucket, "a.b", "--nats", _mesh.Url);
        Assert.True(exit == 0, error);
        var (gone, _, missing) = await Cli.RunAsync("kv", "get", bucket, "a.b", "--nats", _mesh.Url);
        Assert.Equal(1, gone);
        Assert.StartsWith("mesh: kv.not_found: ", missing, StringComparison.Ordinal);
        Assert.DoesNotContain("a.b", await OkAsync("kv", "ls", bucket), StringComparison.Ordinal);
    }
}
