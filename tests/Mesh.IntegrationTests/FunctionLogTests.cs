using System.Text.Json;
using Mesh.Cli;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;

namespace Mesh.IntegrationTests;

/// <summary>
/// <c>mesh logs</c>: nodes publish each guest log line and each outcome on mesh.log.FUNCTION, the
/// MESH_LOGS stream keeps them, and the CLI prints them; guest text cannot reach a terminal raw.
/// </summary>
[Collection(NatsServerDefinition.Name)]
public sealed class FunctionLogTests(NatsServerFixture nats) : IAsyncLifetime
{
    private MeshCluster _mesh = null!;
    private string _token = "";
    private readonly string _function = "logged-" + Guid.NewGuid().ToString("N")[..8];

    public async Task InitializeAsync()
    {
        _mesh = await nats.SharedMeshAsync();
        var wasm = Wasmtime.Module.ConvertText(File.ReadAllText(Path.Combine(MeshCluster.RepositoryRoot(), "examples", "wat", "hello-log.wat")));
        _token = _mesh.Grant(_function, await _mesh.DeployAsync(wasm), CapabilitySet.None with { Log = true });
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<string> LogsAsync(params string[] extra)
    {
        var (exit, output, error) = await Cli.RunAsync(["logs", _function, "--nats", _mesh.Url, .. extra]);
        Assert.True(exit == 0, error);
        return output;
    }

    [Fact]
    public async Task ALoggedLine_AndItsOutcome_AreInMeshLogs_WithInvocationTokenStepAndTime()
    {
        Assert.Equal("logged", (await _mesh.CallAsync(_function, _token, "ada lovelace")).Output);

        var output = "";
        await Eventually.HoldsAsync(async () => (output = await LogsAsync()).Contains(" ok ", StringComparison.Ordinal), "the outcome is in mesh logs");
        var lines = output.TrimEnd('\n').Split('\n');
        Assert.Matches($@"^\d\d:\d\d:\d\d\.\d{{3}} {_function} info ada lovelace$", lines[0]);
        Assert.Matches($@"^\d\d:\d\d:\d\d\.\d{{3}} {_function} ok [\d,]+µs step 1 invocation \S+ token [0-9a-f]{{32}}$", lines[1]);
    }

    [Fact]
    public async Task AFailedInvocation_ShowsItsCode_AndJsonOutputHasEveryField()
    {
        var loop = await _mesh.DeployAsync(MeshCluster.Wat("loop"));
        var function = "looping-" + Guid.NewGuid().ToString("N")[..8];
        var token = _mesh.Grant(function, loop, limits: Limits.None with { Fuel = 100_000 });
        Assert.Equal("function.fuel_exhausted", (await _mesh.CallAsync(function, token)).Status);

        JsonElement entry = default;
        await Eventually.HoldsAsync(async () =>
        {
            var (_, output, _) = await Cli.RunAsync("logs", function, "-o", "json", "--nats", _mesh.Url);
            var first = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            if (first is null)
            {
                return false;
            }

            entry = JsonDocument.Parse(first).RootElement;
            return true;
        }, "the failed outcome is in mesh logs");
        Assert.Equal("outcome", entry.GetProperty("kind").GetString());
        Assert.Equal(function, entry.GetProperty("function").GetString());
        Assert.Equal("function.fuel_exhausted", entry.GetProperty("status").GetString());
        Assert.Equal(1, entry.GetProperty("step").GetInt32());
        Assert.True(entry.GetProperty("us").GetInt64() > 0);
        Assert.False(string.IsNullOrEmpty(entry.GetProperty("invocation").GetString()));
        Assert.False(string.IsNullOrEmpty(entry.GetProperty("token").GetString()));
        Assert.Contains("fuel", entry.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhatATokenRefused_IsInTheOutcome_AsTextAndJson()
    {
        var function = "peeker-" + Guid.NewGuid().ToString("N")[..8];
        var token = _mesh.Grant(function, await _mesh.DeployAsync(MeshCluster.Wat("wasi-open-passwd")));
        Assert.Equal(ErrorCode.FunctionTrap.ToWire(), (await _mesh.CallAsync(function, token)).Status);

        var output = "";
        await Eventually.HoldsAsync(async () => (output = (await Cli.RunAsync("logs", function, "--nats", _mesh.Url)).Out).Contains(" function.trap ", StringComparison.Ordinal), "the outcome is in mesh logs");
        Assert.EndsWith(" denied file:/etc/passwd", output.TrimEnd('\n'), StringComparison.Ordinal);

        var (_, json, _) = await Cli.RunAsync("logs", function, "-o", "json", "--nats", _mesh.Url);
        var entry = JsonDocument.Parse(json.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0]).RootElement;
        Assert.Equal("file:/etc/passwd", Assert.Single(entry.GetProperty("denied").EnumerateArray()).GetString());
    }

    [Fact]
    public async Task EachUntracedCall_HasATraceIdOfItsOwn_InItsOutcome()
    {
        Assert.Equal("logged", (await _mesh.CallAsync(_function, _token, "one")).Output);
        Assert.Equal("logged", (await _mesh.CallAsync(_function, _token, "two")).Output);

        string[] traces = [];
        await Eventually.HoldsAsync(async () =>
        {
            var (_, json, _) = await Cli.RunAsync("logs", _function, "-o", "json", "--nats", _mesh.Url);
            traces = [.. json.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
                .Where(e => e.GetProperty("kind").GetString() == "outcome").Select(e => e.GetProperty("trace").GetString()!)];
            return traces.Length == 2;
        }, "both outcomes are in mesh logs");
        Assert.All(traces, t => Assert.Matches("^[0-9a-f]{32}$", t));
        Assert.NotEqual(traces[0], traces[1]);
    }

    [Fact]
    public async Task ControlCharactersAGuestLogs_NeverReachTheTerminal()
    {
        // Clears the screen, moves the cursor, and forges a second line that looks like an outcome.
        var hostile = "\u001b[2J\u001b[H\r\nfake 00:00:00.000 payments ok 1µs\u0007\u009b31m";
        await _mesh.CallAsync(_function, _token, hostile);

        var output = "";
        await Eventually.HoldsAsync(async () => (output = await LogsAsync()).Contains("fake", StringComparison.Ordinal), "the hostile line is in mesh logs");
        var line = Assert.Single(output.Split('\n'), l => l.Contains("fake", StringComparison.Ordinal));
        Assert.DoesNotContain('\u001b', output);
        Assert.DoesNotContain('\u0007', output);
        Assert.DoesNotContain('\u009b', output);
        Assert.DoesNotContain('\r', output);
        Assert.Contains(" info ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Follow_PrintsEntriesAsTheyArrive_UntilCancelled()
    {
        var output = new StringWriter();
        using var stop = new CancellationTokenSource();
        var context = new CliContext(TextWriter.Synchronized(output), TextWriter.Null, new StringReader(""), TimeProvider.System);
        var following = MeshCli.RunAsync(["logs", _function, "--since", "1s", "--follow", "--nats", _mesh.Url], context, stop.Token);

        var marker = "follow-" + Guid.NewGuid().ToString("N");
        await Eventually.HoldsAsync(async () =>
        {
            await _mesh.CallAsync(_function, _token, marker);
            return output.ToString().Contains(marker, StringComparison.Ordinal);
        }, "a call made while following shows up");
        await stop.CancelAsync();

        Assert.Equal(0, await following.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task EntriesThatAreNotEntries_AreSkipped_NotFatal()
    {
        await _mesh.Client.PublishAsync(Subjects.ForLog(_function), "not json\n{\"kind\":\n\u0000\u0001"u8.ToArray());
        await _mesh.CallAsync(_function, _token, "after junk");

        await Eventually.HoldsAsync(async () => (await LogsAsync()).Contains("after junk", StringComparison.Ordinal), "entries after junk are printed");
    }
}
