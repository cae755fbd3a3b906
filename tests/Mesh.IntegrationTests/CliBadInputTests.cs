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
}
