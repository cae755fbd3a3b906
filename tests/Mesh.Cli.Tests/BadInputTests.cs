namespace Mesh.Cli.Tests;

/// <summary>
/// Every bad input a newcomer met (issue 14), and more: each ends with a non-zero exit and one
/// line on stderr that names the problem, never a stack trace. None needs a NATS server: a port
/// nothing listens on stands for "NATS is down". The cases that need a server to answer (input
/// too large for it, a bucket) are in the integration tests' CliBadInputTests.
/// </summary>
public sealed class BadInputTests : IDisposable
{
    // Nothing listens here: connection refused at once.
    private const string Down = "nats://127.0.0.1:1";

    private readonly CliRun _cli = new();

    public BadInputTests()
    {
        _cli.Ok("keys", "new", "--out", _cli.Path("issuer.seed"));
        var token = _cli.Ok("grant", "--key", _cli.Path("issuer.seed"), "--function", "echo", "--module", _cli.Wasm("echo.wasm"), "--ttl", "10m");
        File.WriteAllText(_cli.Path("echo.token"), token);
        File.WriteAllText(_cli.Path("two.token"), token + "\n" + token + "\n");
        File.WriteAllText(_cli.Path("ada"), "--help");
        File.WriteAllText(_cli.Path("mesh.yaml"), "functions:\n  echo:\n    module: echo.wasm\n");
        File.WriteAllText(_cli.Path("badname.yaml"), "name: \"a b\"\nfunctions:\n  echo:\n    module: echo.wasm\n");
    }

    public void Dispose() => _cli.Dispose();

    public static TheoryData<string, string[]> Cases => new()
    {
        // A NATS URL the client cannot use, on every command that connects.
        { "usage: --nats: 'http://127.0.0.1:4222' is not a NATS URL", ["call", "echo", "--token", "@{dir}/echo.token", "--nats", "http://127.0.0.1:4222"] },
        { "the port must be a number", ["call", "echo", "--token", "@{dir}/echo.token", "--nats", "nats://host:notaport"] },
        { "the port must be a number", ["deploy", "{dir}/echo.wasm", "--nats", "nats://host:99999"] },
        { "usage: Mesh:Nats:Url: 'http://x' is not a NATS URL", ["node", "--nats", "http://x", "--trust", "OAAA"] },
        { "is not a NATS URL", ["up", "-f", "{dir}/missing.yaml", "--nats", "ftp://x"] },
        { "is not a NATS URL", ["kv", "ls", "orders", "--nats", "nats://:4222x"] },
        { "no NATS server URL given", ["publish", "echo", "--token", "@{dir}/echo.token", "--nats", ","] },

        // NATS down: one line, whatever the command.
        { "node.unavailable: cannot connect to NATS at nats://127.0.0.1:1", ["call", "echo", "--token", "@{dir}/echo.token", "--nats", Down, "--retries", "0"] },
        { "node.unavailable: cannot connect to NATS", ["kv", "create", "orders", "--nats", Down] },
        { "node.unavailable: cannot connect to NATS", ["jobs", "dead", "--nats", Down] },
        { "node.unavailable: cannot connect to NATS", ["up", "-f", "{dir}/mesh.yaml", "--nats", Down] },
        { "node.unavailable: cannot connect to NATS", ["deploy", "-f", "{dir}/mesh.yaml", "--nats", Down] },
        { "usage: --once stops after the examples and --watch", ["up", "--once", "--watch"] },

        // '@' means a file only where an option says so; no response files.
        { "io: cannot read token file", ["call", "echo", "--token", "@{dir}/missing", "--nats", Down] },
        { "token.malformed", ["call", "echo", "--token", "@{dir}/two.token", "--data", "@ada", "--nats", Down] },
        { "token.malformed", ["token", "inspect", "@{dir}/two.token"] },

        // Names checked before anything is sent.
        { "usage: 'bad name!' is not a bucket name", ["kv", "create", "bad name!", "--nats", Down] },
        { "is not a key", ["kv", "get", "orders", "..", "--nats", Down] },
        { "is not a key", ["kv", "put", "orders", "a b", "--data", "x", "--nats", Down] },
        { "is not a valid function name", ["call", "no spaces", "--token", "@{dir}/echo.token", "--nats", Down] },

        // Options that only mean something with another one.
        { "--key and --out only apply with -f", ["deploy", "{dir}/echo.wasm", "--key", "{dir}/issuer.seed", "--nats", Down] },
        { "--key and --out only apply with -f", ["deploy", "{dir}/echo.wasm", "--out", "{dir}/tokens", "--nats", Down] },
        { "--id only means something with --durable", ["publish", "echo", "--token", "@{dir}/echo.token", "--id", "1", "--nats", Down] },
        { "--limit must be at least 1", ["jobs", "dead", "--limit", "0", "--nats", Down] },

        // Times and sizes.
        { "would end after the token does", ["token", "attenuate", "@{dir}/echo.token", "--ttl", "48h"] },
        { "is longer than 36500d", ["call", "echo", "--token", "@{dir}/echo.token", "--timeout", "99999999999d", "--nats", Down] },
        { "is not a positive duration", ["grant", "--key", "{dir}/issuer.seed", "--function", "f", "--module", "{dir}/echo.wasm", "--ttl", "-5m"] },
        { "is too large", ["grant", "--key", "{dir}/issuer.seed", "--function", "f", "--module", "{dir}/echo.wasm", "--memory", "9999999999999GiB"] },
        { "give --data or --file, not both", ["call", "echo", "--token", "@{dir}/echo.token", "--data", "x", "--file", "{dir}/ada", "--nats", Down] },
        { "io: cannot read", ["call", "echo", "--token", "@{dir}/echo.token", "--file", "{dir}/missing", "--nats", Down] },

        // Files that are not what they should be.
        { "io:", ["keys", "public", "--key", "{dir}/missing.seed"] },
        { "key.invalid:", ["grant", "--key", "{dir}/ada", "--function", "f", "--module", "{dir}/echo.wasm"] },
        { "io:", ["up", "-f", "{dir}/missing.yaml", "--nats", Down] },
        // The gateway: its address and NATS URL are checked before Kestrel or NATS see them.
        { "must be HOST:PORT", ["gateway", "--listen", "nonsense", "--nats", Down] },
        { "is not an IP address", ["gateway", "--listen", "example.com:80", "--nats", Down] },
        { "is not a NATS URL", ["gateway", "--nats", "http://127.0.0.1:4222"] },
        { "--gateway: Mesh:Gateway:Listen", ["up", "--gateway", "8080", "--nats", Down] },
        { "node.unavailable: cannot connect to NATS", ["schedules", "--nats", Down] },
        { "is not a valid name", ["deploy", "-f", "{dir}/badname.yaml", "--nats", Down] },
        // Secrets: the value never on the command line, the service key checked, names checked.
        { "give the value with one of --from-file F or --from-env VAR", ["secret", "put", "stripe", "--to", "X", "--nats", Down] },
        { "$MESH_TEST_UNSET is not set", ["secret", "put", "stripe", "--from-env", "MESH_TEST_UNSET", "--to", "X", "--nats", Down] },
        { "--to: not a sealing public key", ["secret", "put", "stripe", "--from-file", "{dir}/ada", "--to", "XNOTAKEY", "--nats", Down] },
        { "give the secrets service's public key", ["secret", "put", "stripe", "--from-file", "{dir}/ada", "--nats", Down] },
        { "is not a secret name", ["secret", "put", "bad name", "--from-file", "{dir}/ada", "--to", "X", "--nats", Down] },
        { "is not a secret name", ["secret", "rm", "bad/name", "--nats", Down] },
        { "Mesh:Tokens:TrustedRoots:0", ["secrets", "serve", "--key", "{dir}/issuer.seed", "--trust", "OA", "--nats", Down] },
        { "--secret binds to the --http rule before it", ["grant", "--key", "{dir}/issuer.seed", "--function", "f", "--module", "{dir}/echo.wasm", "--secret", "s:X={}"] },
        { "may not be written into 'Host'", ["grant", "--key", "{dir}/issuer.seed", "--function", "f", "--module", "{dir}/echo.wasm", "--http", "https://a.example/", "--secret", "s:Host={}"] },
    };

    [Fact]
    public void ATokenFileHoldingTwoTokens_IsRefused_WithoutEchoingEitherToken()
    {
        var token = File.ReadAllText(_cli.Path("echo.token"));
        var (exit, _, error) = _cli.Run("token", "inspect", "@" + _cli.Path("two.token"));

        Assert.Equal(1, exit);
        Assert.StartsWith("mesh: token.malformed: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain(token[..40], error, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadInput_ExitsNonZero_WithOneLineNamingTheProblem_AndNoStackTrace(string expected, string[] args)
    {
        var (exit, output, error) = _cli.Run([.. args.Select(a => a.Replace("{dir}", _cli.Directory, StringComparison.Ordinal))]);

        Assert.NotEqual(0, exit);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.StartsWith("mesh: ", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("   at ", error + output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", error + output, StringComparison.Ordinal);
        Assert.DoesNotContain("cli.internal", error, StringComparison.Ordinal);
    }
}
