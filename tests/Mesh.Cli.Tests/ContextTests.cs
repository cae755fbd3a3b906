using System.Text.Json;

namespace Mesh.Cli.Tests;

/// <summary>
/// <c>mesh context</c>, <c>MESH_NATS_URL</c> and <c>MESH_KEY</c>: flags win over the environment,
/// the environment over the selected context, the context over the built-in default.
/// </summary>
public sealed class ContextTests : IDisposable
{
    // Nothing listens on these ports: the error names the URL a command chose.
    private const string FromContext = "nats://127.0.0.1:1";
    private const string FromVariable = "nats://127.0.0.1:2";
    private const string FromFlag = "nats://127.0.0.1:3";

    private readonly CliRun _cli = new();
    private readonly string _key;

    public ContextTests()
    {
        _key = _cli.Ok("keys", "new", "--out", _cli.Path("issuer.seed"));
        _cli.Wasm("echo.wasm");
    }

    public void Dispose() => _cli.Dispose();

    private string ContextsFile => Path.Combine(_cli.Variables["HOME"], ".config", "mesh", "contexts.json");

    private string NatsChosen(params string[] extra)
    {
        var token = _cli.Ok("grant", "--key", _cli.Path("issuer.seed"), "--function", "echo", "--module", _cli.Path("echo.wasm"));
        var (exit, _, error) = _cli.Run(["call", "echo", "--token", token, "--retries", "0", .. extra]);
        Assert.Equal(1, exit);
        var match = System.Text.RegularExpressions.Regex.Match(error, "cannot connect to NATS at (\\S+):");
        Assert.True(match.Success, error);
        return match.Groups[1].Value;
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Add_SavesTheContext_OnlyTheOwnerCanRead_AndSelectsTheFirst()
    {
        var (exit, _, error) = _cli.Run("context", "add", "local", "--nats", "nats://mesh:s3cret@127.0.0.1:4222", "--key", _cli.Path("issuer.seed"));

        Assert.True(exit == 0, error);
        Assert.Contains("(selected)", error, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ContextsFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(ContextsFile)!));
        var listed = _cli.Ok("context", "ls");
        Assert.Contains("*\tlocal\tnats://mesh:***@127.0.0.1:4222\t" + _cli.Path("issuer.seed"), listed, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", listed, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSelectedContext_GivesCommandsTheirNatsAndKey()
    {
        Do("context", "add", "dev", "--nats", FromContext, "--key", _cli.Path("issuer.seed"));

        Assert.Equal(_key, _cli.Ok("keys", "public"));
        Assert.Equal(FromContext, NatsChosen());
        var token = _cli.Ok("grant", "--function", "echo", "--module", _cli.Path("echo.wasm"));
        Assert.Contains(_key, _cli.Ok("token", "inspect", token), StringComparison.Ordinal);
    }

    [Fact]
    public void TheEnvironment_WinsOverTheContext_AndAFlagOverBoth()
    {
        _cli.Ok("keys", "new", "--out", _cli.Path("other.seed"));
        Do("context", "add", "dev", "--nats", FromContext, "--key", _cli.Path("other.seed"));
        _cli.Variables["MESH_NATS_URL"] = FromVariable;
        _cli.Variables["MESH_KEY"] = _cli.Path("issuer.seed");

        Assert.Equal(FromVariable, NatsChosen());
        Assert.Equal(FromFlag, NatsChosen("--nats", FromFlag));
        Assert.Equal(_key, _cli.Ok("keys", "public"));
        Assert.NotEqual(_key, _cli.Ok("keys", "public", "--key", _cli.Path("other.seed")));
    }

    [Fact]
    public void WithoutContextOrVariable_TheLocalDefaultIsUsed_AndAKeyMustBeGiven()
    {
        Assert.Equal("nats://127.0.0.1:4222", NatsOptionDefault());
        var (exit, _, error) = _cli.Run("grant", "--function", "echo", "--module", _cli.Path("echo.wasm"));

        Assert.Equal(2, exit);
        Assert.StartsWith("mesh: usage: give --key SEED (or set MESH_KEY", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Select_AndRemove_ChangeWhichIsUsed()
    {
        Do("context", "add", "a", "--nats", FromContext);
        Do("context", "add", "b", "--nats", FromVariable);
        Assert.Equal(FromContext, NatsChosen());

        Do("context", "select", "b");
        Assert.Equal(FromVariable, NatsChosen());
        Assert.Equal("b", JsonDocument.Parse(_cli.Ok("context", "show", "-o", "json")).RootElement.GetProperty("name").GetString());

        Do("context", "rm", "b");
        Assert.Equal("nats://127.0.0.1:4222", NatsOptionDefault());
        var (exit, _, error) = _cli.Run("context", "select", "b");
        Assert.Equal(1, exit);
        Assert.Equal("mesh: context.not_found: no context 'b' (saved: a)\n", error);
    }

    [Theory]
    [InlineData("add", "bad name", "--nats", "nats://x:4222", "is not a context name")]
    [InlineData("add", "x", "--nats", "http://x", "is not a NATS URL")]
    [InlineData("add", "x", "--nats", "nats://x:4222", "--key", "/no/such.seed", "no seed file")]
    [InlineData("add", "x", "--nats", "nats://x:4222", "--inbox-prefix", "_INBOX.>", "must be subject tokens")]
    [InlineData("show", "context.none")]
    [InlineData("rm", "nope", "context.not_found")]
    public void BadContextCommands_AreOneLine(params string[] argsThenExpected)
    {
        var (exit, _, error) = _cli.Run(["context", .. argsThenExpected[..^1]]);

        Assert.NotEqual(0, exit);
        Assert.Contains(argsThenExpected[^1], error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void ACorruptContextsFile_IsOneLine_NamingTheFile()
    {
        Do("context", "add", "a", "--nats", FromContext);
        File.WriteAllText(ContextsFile, "{ not json");

        var (exit, _, error) = _cli.Run("context", "ls");

        Assert.Equal(1, exit);
        Assert.StartsWith($"mesh: io: '{ContextsFile}' is not a contexts file", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AContextsFileWithNulls_ReadsAsEmpty_NotAsACrash()
    {
        Do("context", "add", "a", "--nats", FromContext);
        File.WriteAllText(ContextsFile, "{ \"selected\": null, \"contexts\": null }");

        Assert.Equal("\tNAME\tNATS\tKEY\tINBOX PREFIX", _cli.Ok("context", "ls"));
        Assert.Equal("nats://127.0.0.1:4222", NatsOptionDefault());
    }

    private string NatsOptionDefault() => NatsChosen();

    // Context changes report on stderr, as other commands that change something do.
    private void Do(params string[] args)
    {
        var (exit, _, error) = _cli.Run(args);
        Assert.True(exit == 0, error);
    }
}
