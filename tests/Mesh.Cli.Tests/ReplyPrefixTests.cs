using System.Text.Json;

namespace Mesh.Cli.Tests;

/// <summary>
/// <c>mesh grant --reply-prefix</c>, its default from a context's inbox prefix, <c>--no-reply-prefix</c>,
/// <c>mesh token attenuate --reply-prefix</c> (lengthen only) and what <c>mesh token inspect</c> shows.
/// </summary>
public sealed class ReplyPrefixTests : IDisposable
{
    private readonly CliRun _cli = new();

    public ReplyPrefixTests()
    {
        _cli.Ok("keys", "new", "--out", _cli.Path("issuer.seed"));
        _cli.Wasm("echo.wasm");
    }

    public void Dispose() => _cli.Dispose();

    private (int Exit, string Out, string Error) Grant(params string[] extra) =>
        _cli.Run(["grant", "--key", _cli.Path("issuer.seed"), "--function", "echo", "--module", _cli.Path("echo.wasm"), .. extra]);

    private string? Bound(string token)
    {
        var report = JsonDocument.Parse(_cli.Ok("token", "inspect", token)).RootElement;
        return report.GetProperty("effective").TryGetProperty("replyPrefix", out var prefix) ? prefix.GetString() : null;
    }

    [Fact]
    public void Grant_BindsTheGivenPrefix_AndNoneWithoutOne()
    {
        var (exit, token, error) = Grant("--reply-prefix", "_INBOX.alice");
        Assert.True(exit == 0, error);
        Assert.Equal("_INBOX.alice", Bound(token.Trim()));

        (exit, token, error) = Grant();
        Assert.True(exit == 0, error);
        Assert.Null(Bound(token.Trim()));
    }

    [Fact]
    public void Grant_InAContextWithAnInboxPrefix_BindsIt_AndSaysSo_UnlessTold()
    {
        Assert.Equal(0, _cli.Run("context", "add", "alice", "--nats", "nats://127.0.0.1:4222", "--inbox-prefix", "_INBOX.alice", "--select").Exit);

        var (exit, token, error) = Grant();
        Assert.True(exit == 0, error);
        Assert.Equal("_INBOX.alice", Bound(token.Trim()));
        Assert.Contains("replies bound to _INBOX.alice", error, StringComparison.Ordinal);

        (exit, token, error) = Grant("--no-reply-prefix");
        Assert.True(exit == 0, error);
        Assert.Null(Bound(token.Trim()));

        _cli.Variables["MESH_INBOX_PREFIX"] = "_INBOX.carol";
        (exit, token, _) = Grant();
        Assert.Equal(0, exit);
        Assert.Equal("_INBOX.carol", Bound(token.Trim()));
    }

    [Theory]
    [InlineData("_INBOX.*")]
    [InlineData("_INBOX.>")]
    [InlineData("_INBOX..x")]
    [InlineData("_INBOX.a b")]
    public void ANonSubjectPrefix_IsOneLineAndAUsageCode(string prefix)
    {
        var (exit, _, error) = Grant("--reply-prefix", prefix);
        Assert.NotEqual(0, exit);
        Assert.StartsWith("mesh: usage: --reply-prefix", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void BothFlags_AreAUsageError()
    {
        var (exit, _, error) = Grant("--reply-prefix", "_INBOX.a", "--no-reply-prefix");
        Assert.NotEqual(0, exit);
        Assert.StartsWith("mesh: usage: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Attenuate_LengthensTheBinding_ButCannotMoveIt()
    {
        var token = Grant("--reply-prefix", "_INBOX.alice").Out.Trim();

        var longer = _cli.Ok("token", "attenuate", token, "--reply-prefix", "_INBOX.alice.web");
        Assert.Equal("_INBOX.alice.web", Bound(longer));

        var (exit, _, error) = _cli.Run("token", "attenuate", token, "--reply-prefix", "_INBOX.bob");
        Assert.NotEqual(0, exit);
        Assert.StartsWith("mesh: token.widened: ", error, StringComparison.Ordinal);
    }
}
