namespace Mesh.IntegrationTests;

/// <summary>
/// The bad inputs that need a server to be bad against (a message larger than it takes) or to
/// be reached at all: one line and a code, never a NATS exception's stack trace. The rest are in
/// Mesh.Cli.Tests' BadInputTests, without a server.
/// </summary>
[Collection(NatsServerDefinition.Name)]
public sealed class CliBadInputTests(NatsServerFixture nats) : IAsyncLifetime
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("mesh-bad-input-");

    public async Task InitializeAsync()
    {
        var (exit, _, error) = await Cli.RunAsync("keys", "new", "--out", Path("issuer.seed"));
        Assert.True(exit == 0, error);
        File.Copy(System.IO.Path.Combine(MeshCluster.RepositoryRoot(), "examples", "wat", "echo.wat"), Path("echo.wat"));
        var (granted, token, _) = await Cli.RunAsync("grant", "--key", Path("issuer.seed"), "--function", "echo", "--module", "sha256:" + new string('0', 64));
        Assert.Equal(0, granted);
        await File.WriteAllTextAsync(Path("echo.token"), token);
        // One byte more than a NATS message may carry by default (1 MiB), so the body alone is too large.
        await File.WriteAllBytesAsync(Path("big.bin"), new byte[(1024 * 1024) + 1]);
        Assert.Equal(0, (await Cli.RunAsync("kv", "create", "badinput", "--nats", nats.Url)).Exit);
    }

    public Task DisposeAsync()
    {
        _directory.Delete(recursive: true);
        return Task.CompletedTask;
    }

    private string Path(string name) => System.IO.Path.Combine(_directory.FullName, name);

    [Theory]
    [InlineData("call")]
    [InlineData("publish")]
    [InlineData("publish --durable")]
    [InlineData("kv put")]
    public async Task InputLargerThanTheServerTakes_IsRequestTooLarge_InOneLine(string command)
    {
        string[] args = command switch
        {
            "kv put" => ["kv", "put", "badinput", "big", "--file", Path("big.bin")],
            _ => [.. command.Split(' '), "echo", "--token", "@" + Path("echo.token"), "--file", Path("big.bin")],
        };

        var (exit, output, error) = await Cli.RunAsync([.. args, "--nats", nats.Url]);

        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.StartsWith("mesh: request.too_large: the input is 1,048,577 bytes", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task DeployingAManifest_WithoutAKey_SaysNoTokensWereWritten()
    {
        var manifest = Path("mesh.yaml");
        await File.WriteAllTextAsync(manifest, "functions:\n  echo:\n    module: echo.wat\n");

        var (exit, output, error) = await Cli.RunAsync("deploy", "-f", manifest, "--nats", nats.Url);

        Assert.True(exit == 0, error);
        Assert.StartsWith("echo\tsha256:", output, StringComparison.Ordinal);
        Assert.EndsWith("mesh: note: deployed without --key, so no tokens were written; give --key SEED to sign one per function\n", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANodeWithNatsDown_LogsOneLinePerAttempt_NotAStackTrace()
    {
        var (_, key, _) = await Cli.RunAsync("keys", "public", "--key", Path("issuer.seed"));
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [System.IO.Path.Combine(AppContext.BaseDirectory, "mesh.dll"), "node", "--nats", "nats://127.0.0.1:1", "--trust", key.Trim()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var node = System.Diagnostics.Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        var attempts = 0;
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (attempts < 3 && await node.StandardOutput.ReadLineAsync(limit.Token) is { } line)
        {
            output.AppendLine(line);
            attempts += line.Contains("Fail to connect", StringComparison.Ordinal) ? 1 : 0;
        }

        System.Diagnostics.Process.Start("kill", ["-TERM", node.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        output.Append(await node.StandardOutput.ReadToEndAsync(limit.Token)).Append(await node.StandardError.ReadToEndAsync(limit.Token));
        await node.WaitForExitAsync(limit.Token);

        Assert.Equal(3, attempts);
        Assert.DoesNotContain("   at ", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("(SocketException: Connection refused)", output.ToString(), StringComparison.Ordinal);
    }
}
