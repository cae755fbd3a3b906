using Mesh.Contracts.Wire;

namespace Mesh.IntegrationTests.Attacks;

/// <summary>
/// Issue 11 §7: a NATS password given in a URL (<c>nats://user:secret@host</c>) reaches no log line
/// and no output: not the node's "serving" line, not the NATS client's reconnect warnings, not a
/// failed login, not the CLI's errors or paste-ready lines.
/// </summary>
public sealed class SecretRedactionTests(PermissionedMesh fixture) : IClassFixture<PermissionedMesh>
{
    [Fact]
    public async Task ANodesPassword_AppearsInNoLineItWrites_ThroughAServerRestart()
    {
        using var node = await NodeProcess.StartAsync(fixture.NodeUrl, fixture.Mesh.Issuer.PublicKeyText, new Dictionary<string, string>
        {
            ["Mesh__Nats__InboxPrefix"] = "_INBOX.nodes",
            ["Logging__LogLevel__NATS"] = "Debug",
        });
        Assert.Contains(node.Output, l => l.Contains("node serving", StringComparison.Ordinal) && l.Contains("nats://127.0.0.1:", StringComparison.Ordinal));

        await fixture.RestartServerAsync(TimeSpan.FromMilliseconds(500));
        await Eventually.HoldsAsync(() => node.Output.Any(l => l.Contains("NATS", StringComparison.Ordinal) && l.Contains("onnect", StringComparison.Ordinal)), "the NATS client logs its reconnect");

        AssertNoSecret(node.Output, fixture.PasswordOf("mesh-node"));
    }

    [Fact]
    public async Task AWrongPassword_IsNotEchoedByTheNode()
    {
        const string wrong = "pw-wrong-and-secret";
        using var node = NodeProcess.Launch(fixture.NodeUrl.Replace(fixture.PasswordOf("mesh-node"), wrong, StringComparison.Ordinal), fixture.Mesh.Issuer.PublicKeyText, new Dictionary<string, string>
        {
            ["Logging__LogLevel__NATS"] = "Debug",
        });

        await Eventually.HoldsAsync(() => node.Output.Any(l => l.Contains("uthorization", StringComparison.Ordinal)), "the node reports the refused login");
        AssertNoSecret(node.Output, wrong);
    }

    [Fact]
    public async Task TheCli_ShowsAUrlRedacted_WhenItCannotConnect()
    {
        const string wrong = "pw-wrong-and-secret";
        var url = $"nats://alice:{wrong}@127.0.0.1:{fixture.Port}";

        var token = fixture.Mesh.Grant("echo", Mesh.Contracts.Tokens.Sha256Digest.Of([]));
        var call = await Cli.RunAsync("call", "echo", "--token", token, "--nats", url, "--inbox-prefix", "_INBOX.alice");

        Assert.NotEqual(0, call.Exit);
        Assert.Contains($"nats://alice:{NatsUrl.Hidden}@127.0.0.1:{fixture.Port}", call.Error);
        Assert.DoesNotContain(wrong, call.Error + call.Out);
    }

    [Theory]
    [InlineData("kv", "get", "tenants", "k")]
    [InlineData("deploy", "{echo}")]
    [InlineData("jobs", "dead")]
    public async Task ACallerWithoutJetStreamRights_GetsOneLineAndACode_NotAStackTrace(string first, string second, string? third = null, string? fourth = null)
    {
        var echo = Path.Combine(AppContext.BaseDirectory, "modules", "echo.wat");
        string[] command = [.. new[] { first, second, third, fourth }.OfType<string>()];
        string[] args = [.. command.Select(a => a.Replace("{echo}", echo, StringComparison.Ordinal)), "--nats", fixture.UrlFor("alice"), "--inbox-prefix", "_INBOX.alice"];

        var run = await Cli.RunAsync(args);

        Assert.NotEqual(0, run.Exit);
        Assert.Matches(@"^mesh: [a-z_.]+: [^\n]+\n$", run.Error);
        Assert.DoesNotContain(fixture.PasswordOf("alice"), run.Error);
    }

    private static void AssertNoSecret(IEnumerable<string> lines, string secret)
    {
        var leaked = lines.Where(l => l.Contains(secret, StringComparison.Ordinal)).ToArray();
        Assert.True(leaked.Length == 0, $"the password appears in: {string.Join(" | ", leaked)}");
    }
}
