using System.Text.Json;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Rules;

namespace Mesh.Cli.Tests;

public sealed class CliCommandTests : IDisposable
{
    private readonly CliRun _cli = new();

    public void Dispose() => _cli.Dispose();

    private string NewKey(string name = "issuer.seed") => _cli.Ok("keys", "new", "--out", _cli.Path(name));

    private string Grant(params string[] extra) =>
        _cli.Ok([
            "grant", "--key", _cli.Path("issuer.seed"), "--function", "payments", "--module", _cli.Wasm("pay.wasm"),
            "--http", "GET,POST https://api.stripe.com/v1/", "--kv", "orders/tenant-1.:get,put", "--publish", "events.payments.>",
            "--log", "--fuel", "1000000", "--memory", "16MiB", .. (extra.Contains("--ttl") ? extra : ["--ttl", "1h", .. extra]),
        ]);

    private Grant Verify(string publicKey, string token, string function = "payments")
    {
        var verifier = new TokenVerifier(new TokenVerifierOptions { TrustedRoots = [publicKey] }, _cli.Clock);
        var grant = verifier.Verify(TokenCodec.FromText(token, 8192).Value!, function, null);
        Assert.True(grant.IsOk, grant.ToString());
        return grant.Value!;
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void KeysNew_WritesASeedOnlyTheOwnerCanRead_AndPrintsThePublicKey()
    {
        var publicKey = NewKey();

        Assert.Matches("^O[A-Z2-7]{55}$", publicKey);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_cli.Path("issuer.seed")));
        Assert.StartsWith("SO", File.ReadAllText(_cli.Path("issuer.seed")));
        Assert.Equal(publicKey, _cli.Ok("keys", "public", "--key", _cli.Path("issuer.seed")));
    }

    [Fact]
    public void KeysNew_RefusesToOverwrite_UnlessForced()
    {
        var first = NewKey();
        var (exit, output, error) = _cli.Run("keys", "new", "--out", _cli.Path("issuer.seed"));

        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.Contains("mesh: io:", error);
        Assert.Equal(first, _cli.Ok("keys", "public", "--key", _cli.Path("issuer.seed")));
        Assert.NotEqual(first, _cli.Ok("keys", "new", "--out", _cli.Path("issuer.seed"), "--force"));
    }

    [Fact]
    public void Grant_IssuesATokenThatAllowsExactlyTheOptions()
    {
        var publicKey = NewKey();
        var token = Grant();

        Assert.DoesNotContain('\n', token);
        var grant = Verify(publicKey, token);
        Assert.True(grant.AllowsLog);
        Assert.True(grant.AllowsHttp("https", "api.stripe.com", 443, HttpMethods.Post, "/v1/charges"));
        Assert.False(grant.AllowsHttp("https", "api.stripe.com", 443, HttpMethods.Delete, "/v1/charges"));
        Assert.True(grant.AllowsKv("orders", "tenant-1.x", KvOperations.Put));
        Assert.False(grant.AllowsKv("orders", "tenant-1.x", KvOperations.Delete));
        Assert.True(grant.AllowsPublish("events.payments.settled"));
        Assert.False(grant.AllowsRequest("events.payments.settled"));
        Assert.Equal(1_000_000, grant.Limits.Fuel);
        Assert.Equal(16L << 20, grant.Limits.MemoryBytes);
        Assert.Equal(Sha256Digest.Of(File.ReadAllBytes(_cli.Path("pay.wasm"))), grant.Modules.Single());
    }

    [Fact]
    public void Grant_WithoutCapabilityOptions_AllowsNothingButRunning()
    {
        var publicKey = NewKey();
        var token = _cli.Ok("grant", "--key", _cli.Path("issuer.seed"), "--function", "echo", "--module", "sha256:" + new string('a', 64));
        var grant = Verify(publicKey, token, "echo");

        Assert.False(grant.AllowsLog);
        Assert.False(grant.AllowsHttp("https", "example.com", 443, HttpMethods.Get, "/"));
        Assert.False(grant.AllowsPublish("anything"));
    }

    [Theory]
    [InlineData("--http", "https://user@api.stripe.com/", "user information")]
    [InlineData("--kv", "orders/x:drop", "unknown key-value operation")]
    [InlineData("--publish", "a.>.b", "not a valid subject pattern")]
    [InlineData("--ttl", "forever", "duration")]
    [InlineData("--memory", "lots", "size")]
    [InlineData("--function", "Payments", "not a valid function name")]
    public void Grant_WithBadInput_SaysWhatIsWrong_AndPrintsNoToken(string option, string value, string complaint)
    {
        NewKey();
        string[] args = ["grant", "--key", _cli.Path("issuer.seed"), "--module", _cli.Wasm("pay.wasm"), "--function"];
        args = option == "--function" ? [.. args, value] : [.. args, "payments", option, value];
        var (exit, output, error) = _cli.Run(args);

        Assert.NotEqual(0, exit);
        Assert.Equal("", output);
        Assert.StartsWith("mesh: ", error);
        Assert.Contains(complaint, error);
    }

    [Fact]
    public void Grant_OfAFileThatIsNotWasm_IsRefused()
    {
        NewKey();
        File.WriteAllText(_cli.Path("notes.txt"), "hello");
        var (exit, _, error) = _cli.Run("grant", "--key", _cli.Path("issuer.seed"), "--function", "f", "--module", _cli.Path("notes.txt"));

        Assert.Equal(2, exit);
        Assert.Contains("not a WebAssembly module", error);
    }

    [Fact]
    public void Grant_WithAMistypedSeed_SaysSo()
    {
        NewKey();
        var seed = File.ReadAllText(_cli.Path("issuer.seed")).Trim();
        File.WriteAllText(_cli.Path("typo.seed"), seed[..20] + (seed[20] == 'A' ? 'B' : 'A') + seed[21..]);
        var (exit, _, error) = _cli.Run("grant", "--key", _cli.Path("typo.seed"), "--function", "f", "--module", _cli.Wasm("f.wasm"));

        Assert.Equal(1, exit);
        Assert.Contains("checksum", error);
    }

    [Fact]
    public void Attenuate_Narrows_AndTheResultStillVerifies()
    {
        var publicKey = NewKey();
        var token = Grant();

        var narrowed = _cli.Ok("token", "attenuate", token, "--http", "POST https://api.stripe.com/v1/charges", "--no-log", "--ttl", "10m");
        var grant = Verify(publicKey, narrowed);

        Assert.False(grant.AllowsLog);
        Assert.True(grant.AllowsHttp("https", "api.stripe.com", 443, HttpMethods.Post, "/v1/charges"));
        Assert.False(grant.AllowsHttp("https", "api.stripe.com", 443, HttpMethods.Get, "/v1/charges"));
        Assert.False(grant.AllowsHttp("https", "api.stripe.com", 443, HttpMethods.Post, "/v1/refunds"));
        Assert.True(grant.AllowsKv("orders", "tenant-1.x", KvOperations.Put));
        Assert.Equal(_cli.Clock.GetUtcNow().AddMinutes(10).ToUnixTimeSeconds(), grant.Expires);
    }

    [Theory]
    [InlineData("--http", "GET https://evil.com/")]
    [InlineData("--publish", "events.>")]
    [InlineData("--kv", "orders/tenant-2.:get")]
    [InlineData("--fuel", "2000000")]
    [InlineData("--ttl", "2h")]
    [InlineData("--max-depth", "9")]
    public void Attenuate_ThatWouldWiden_IsRefusedWithTokenWidened(string option, string value)
    {
        NewKey();
        var (exit, output, error) = _cli.Run("token", "attenuate", Grant(), option, value);

        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.StartsWith("mesh: token.widened: ", error);
    }

    [Fact]
    public void Attenuate_ASealedToken_IsRefused()
    {
        NewKey();
        var (exit, _, error) = _cli.Run("token", "attenuate", Grant("--seal"), "--ttl", "5m");

        Assert.Equal(1, exit);
        Assert.StartsWith("mesh: token.sealed: ", error);
    }

    [Fact]
    public void Attenuate_ReadsTheTokenFromAFileOrStdin()
    {
        var publicKey = NewKey();
        var token = Grant();
        File.WriteAllText(_cli.Path("token"), token + "\n");

        var fromFile = _cli.Ok("token", "attenuate", "@" + _cli.Path("token"), "--ttl", "5m");
        var (exit, fromStdin, _) = _cli.RunWithInput(token + "\n", "token", "attenuate", "-", "--ttl", "5m");

        Verify(publicKey, fromFile);
        Assert.Equal(0, exit);
        Verify(publicKey, fromStdin.Trim());
    }

    [Fact]
    public void Inspect_ShowsEveryBlock_AndVerifiesAgainstTrustedKeys()
    {
        var publicKey = NewKey();
        var narrowed = _cli.Ok("token", "attenuate", Grant(), "--no-log", "--audience", "payments");

        var (exit, output, error) = _cli.Run("token", "inspect", narrowed, "--trust", publicKey);

        Assert.Equal(0, exit);
        Assert.Equal("", error);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal(publicKey, root.GetProperty("issuer").GetString());
        var blocks = root.GetProperty("blocks");
        Assert.Equal(2, blocks.GetArrayLength());
        Assert.True(blocks[0].GetProperty("functions")[0].GetProperty("log").GetBoolean());
        Assert.False(blocks[1].GetProperty("functions")[0].GetProperty("log").GetBoolean());
        Assert.Equal("GET,POST https://api.stripe.com/v1/", blocks[0].GetProperty("functions")[0].GetProperty("http")[0].GetString());
        Assert.Equal("events.payments.>", blocks[0].GetProperty("functions")[0].GetProperty("publish")[0].GetString());
        Assert.Equal("payments", root.GetProperty("effective").GetProperty("audience").GetString());
        Assert.True(root.GetProperty("verification").GetProperty("ok").GetBoolean());
    }

    [Fact]
    public void Inspect_AgainstAnotherIssuer_SaysUntrusted_AndExitsNonZero()
    {
        NewKey();
        var token = Grant();
        var stranger = NewKey("other.seed");

        var (exit, output, error) = _cli.Run("token", "inspect", token, "--trust", stranger);

        Assert.Equal(1, exit);
        Assert.Equal("token.untrusted_issuer", JsonDocument.Parse(output).RootElement.GetProperty("verification").GetProperty("code").GetString());
        Assert.StartsWith("mesh: token.untrusted_issuer: ", error);
    }

    [Fact]
    public void Inspect_AfterExpiry_SaysExpired()
    {
        var publicKey = NewKey();
        var token = Grant("--ttl", "1m");
        _cli.Clock.Advance(TimeSpan.FromMinutes(5));

        var (exit, _, error) = _cli.Run("token", "inspect", token, "--trust", publicKey);

        Assert.Equal(1, exit);
        Assert.StartsWith("mesh: token.expired: ", error);
    }

    [Fact]
    public void Inspect_OfGarbage_IsMalformed()
    {
        var (exit, output, error) = _cli.Run("token", "inspect", "bm90IGEgdG9rZW4");

        Assert.Equal(1, exit);
        Assert.Equal("token.malformed", JsonDocument.Parse(output).RootElement.GetProperty("verification").GetProperty("code").GetString());
        Assert.StartsWith("mesh: token.malformed: ", error);
    }

    [Fact]
    public void Inspect_WithAMistypedTrustKey_IsAUsageError()
    {
        var publicKey = NewKey();
        var (exit, _, error) = _cli.Run("token", "inspect", Grant(), "--trust", publicKey[..^1]);

        Assert.Equal(2, exit);
        Assert.StartsWith("mesh: usage: --trust", error);
    }

    [Fact]
    public void UnknownCommand_IsAUsageErrorOnStderr()
    {
        var (exit, output, error) = _cli.Run("frobnicate");

        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.StartsWith("mesh: usage: ", error);
        Assert.Contains("frobnicate", error);
    }

    [Theory]
    [InlineData("Mesh:Tokens:TrustedRoots is empty")]
    [InlineData("Mesh:Tokens:TrustedRoots:0: not a Mesh public key", "--trust", "OABC")]
    public void Node_WithSettingsThatCannotWork_RefusesToStart_NamingTheSetting(string complaint, params string[] extra)
    {
        var (exit, _, error) = _cli.Run(["node", "--nats", "nats://127.0.0.1:1", .. extra]);

        Assert.Equal(2, exit);
        Assert.Contains(complaint, error);
    }
}
