using System.Text;
using Mesh.Cli.Local;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Secrets;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Rules;
using Mesh.Contracts.Wire;
using Mesh.Node.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.IntegrationTests;

/// <summary>
/// Secrets against real parts: nats-server, the secrets service, a node, and HTTP servers on
/// loopback that keep every byte they receive. The granted request arrives with the secret; nothing
/// else does, in any way a token, a guest or a NATS client could try; the value never appears in a
/// log, a span or a reply. Ends with a grep of everything the test's processes said.
/// </summary>
public sealed class SecretTests : IAsyncLifetime, IDisposable
{
    private readonly string _value = "sk_live_" + Guid.NewGuid().ToString("N");
    private CapturedOutput _output = null!;
    private RawHttpServer _provider = null!;
    private RawHttpServer _elsewhere = null!;
    private readonly List<Reply> _replies = [];
    private NatsServerProcess _nats = null!;
    private MeshCluster _mesh = null!;
    private SealingKey _key = null!;
    private IHost? _service;
    private HttpProbe _probe = null!;

    private string Bound => $"POST http://127.0.0.1:{_provider.Port}/v1/ with stripe:Authorization=Bearer {{}}";

    public async Task InitializeAsync()
    {
        _output = new CapturedOutput();
        _provider = new RawHttpServer();
        _elsewhere = new RawHttpServer();
        _nats = await NatsServerProcess.StartAsync();
        _mesh = await MeshCluster.StartAsync(_nats.Url, nodes: 1, services: _output.AddTo);
        _key = SealingKey.Generate();
        await StartServiceAsync();
        var store = await new NatsKVContext(new NatsJSContext(_mesh.Client)).CreateStoreAsync(new NatsKVConfig(SecretRelease.Bucket));
        await store.PutAsync("stripe", SealedBox.Seal(Encoding.ASCII.GetBytes(_value), _key.PublicKey, SecretRelease.AtRest("stripe")));
        _probe = await HttpProbe.DeployAsync(_mesh);
    }

    public async Task DisposeAsync()
    {
        await StopServiceAsync();
        await _mesh.DisposeAsync();
        _nats.Dispose();
        _key.Dispose();
    }

    public void Dispose()
    {
        _provider.Dispose();
        _elsewhere.Dispose();
        _output.Dispose();
    }

    private async Task StartServiceAsync()
    {
        _service = SecretsHost.Build(new Dictionary<string, string?>
        {
            ["Mesh:Nats:Url"] = _mesh.Url,
            ["Mesh:Tokens:TrustedRoots:0"] = _mesh.Issuer.PublicKeyText,
            ["Mesh:Secrets:Key"] = _key.ExportSeedText(),
            ["Logging:LogLevel:Default"] = "Trace",
        }, services: _output.AddTo);
        await _service.StartAsync();
        await _service.Services.GetRequiredService<SecretService>().Ready.WaitAsync(TimeSpan.FromSeconds(20));
    }

    private async Task StopServiceAsync()
    {
        if (_service is not null)
        {
            await _service.StopAsync();
            _service.Dispose();
            _service = null;
        }
    }

    private async Task<Reply> SendAsync(string token, string method, string url, params (string, string)[] headers)
    {
        var reply = await _probe.SendAsync(token, method, url, headers);
        _replies.Add(reply);
        return reply;
    }

    private static int Count(string haystack, string needle) => (haystack.Length - haystack.Replace(needle, "", StringComparison.Ordinal).Length) / needle.Length;

    [Fact]
    public async Task TheGrantedRequestCarriesTheSecret_NoOtherRequestDoes_AndNothingEverShowsIt()
    {
        var token = _probe.Grant(Bound, $"GET http://127.0.0.1:{_provider.Port}/", $"POST http://127.0.0.1:{_elsewhere.Port}/");
        var granted = await SendAsync(token, "POST", $"http://127.0.0.1:{_provider.Port}/v1/charges");
        Assert.True(granted.IsOk, granted.ToString());
        Assert.Contains($"Authorization: Bearer {_value}\r\n", _provider.Received);
        Assert.Equal(1, Count(_provider.Received, _value));

        // Another method, another path under a rule without the secret, another host (where a redirect would lead): no secret.
        Assert.True((await SendAsync(token, "GET", $"http://127.0.0.1:{_provider.Port}/v1/charges")).IsOk);
        Assert.True((await SendAsync(token, "GET", $"http://127.0.0.1:{_provider.Port}/other")).IsOk);
        Assert.True((await SendAsync(token, "POST", $"http://127.0.0.1:{_elsewhere.Port}/v1/charges")).IsOk);
        Assert.Equal(3, _provider.RequestLines.Count + _elsewhere.RequestLines.Count - 1);
        Assert.Equal(1, Count(_provider.Received, _value));
        Assert.DoesNotContain(_value, _elsewhere.Received);

        // The guest may not set the header the secret goes into, whatever its case.
        var spoofed = await SendAsync(token, "POST", $"http://127.0.0.1:{_provider.Port}/v1/charges", ("authorization", "Bearer mine"));
        Assert.Equal(HttpProbe.Returned(1), spoofed.Message);
        Assert.Equal(1, Count(_provider.Received, _value));

        // A token that never bound it, and a narrowed one that dropped it, reach the API without it.
        var unbound = _probe.Grant($"POST http://127.0.0.1:{_provider.Port}/v1/");
        Assert.True((await SendAsync(unbound, "POST", $"http://127.0.0.1:{_provider.Port}/v1/charges")).IsOk);
        var narrowed = Attenuate(token, $"POST http://127.0.0.1:{_provider.Port}/v1/charges");
        Assert.True((await SendAsync(narrowed, "POST", $"http://127.0.0.1:{_provider.Port}/v1/charges")).IsOk);
        Assert.Equal(1, Count(_provider.Received, _value));

        AssertNeverShown();
    }

    [Fact]
    public async Task TheServiceReleasesNothing_ToARequestItCannotVerify()
    {
        var binding = _probe.Grant(Bound);
        var unbound = _probe.Grant($"POST http://127.0.0.1:{_provider.Port}/v1/");
        Assert.Equal("capability.denied", await ForgedAsync(unbound, "stripe", HttpProbe.Function));
        Assert.Equal("token.wrong_subject", await ForgedAsync(binding, "stripe", "someone-else"));
        Assert.Equal("token.missing", await ForgedAsync(null, "stripe", HttpProbe.Function));
        Assert.Equal("token.malformed", await ForgedAsync(binding[..^3], "stripe", HttpProbe.Function));
        Assert.Equal("capability.denied", await ForgedAsync(binding, "nosuch", HttpProbe.Function));
        var unstored = _probe.Grant($"POST http://127.0.0.1:{_provider.Port}/v1/ with nosuch:X-Key={{}}");
        Assert.Equal("secret.unavailable", await ForgedAsync(unstored, "nosuch", HttpProbe.Function));

        using var stranger = SigningKey.Generate();
        Assert.Equal("token.untrusted_issuer", await ForgedAsync(TokenCodec.ToText(_mesh.GrantBytes(HttpProbe.Function, _probe.Module, Capabilities(Bound), issuer: stranger)), "stripe", HttpProbe.Function));

        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var expired = TokenCodec.ToText(TokenIssuer.Issue(_mesh.Issuer, new BlockClaims
        {
            TokenId = TokenIssuer.NewTokenId(), IssuedAt = now - 7200, Expires = now - 3600, MaxDepth = 4,
            Functions = [new FunctionGrant(HttpProbe.Function, [_probe.Module], Capabilities(Bound), Limits.None)],
        }).Value!);
        Assert.Equal("token.expired", await ForgedAsync(expired, "stripe", HttpProbe.Function));

        // A public key that is no curve point gets a code, and the service goes on serving.
        var lowOrder = await _mesh.Client.RequestAsync<byte[], byte[]>(SecretRelease.Subject,
            SecretRelease.Write(new SecretRelease.Request("stripe", HttpProbe.Function, new byte[32], new byte[SecretRelease.NonceLength])),
            new NatsHeaders { [MeshHeaders.Token] = binding });
        Assert.Equal("secret.unavailable", lowOrder.Headers![MeshHeaders.Status].ToString());
        Assert.Empty(lowOrder.Data ?? []);

        // Revoked: the service reads the revocation bucket itself, and refuses from then on.
        var revoked = _probe.Grant(Bound);
        Assert.Equal("ok", await ForgedAsync(revoked, "stripe", HttpProbe.Function));
        Assert.Equal(0, (await Cli.RunAsync("token", "revoke", revoked, "--nats", _mesh.Url)).Exit);
        await Eventually.HoldsAsync(async () => await ForgedAsync(revoked, "stripe", HttpProbe.Function) == "token.revoked", "the service refuses the revoked token");
        AssertNeverShown();
    }

    [Fact]
    public async Task AReleaseOpensOnlyForTheRequestThatAskedForIt()
    {
        var token = _probe.Grant(Bound);
        using var asker = SealingKey.Generate();
        using var overhearer = SealingKey.Generate();
        var nonce = new byte[SecretRelease.NonceLength];
        var reply = await _mesh.Client.RequestAsync<byte[], byte[]>(SecretRelease.Subject,
            SecretRelease.Write(new SecretRelease.Request("stripe", HttpProbe.Function, asker.PublicKey, nonce)),
            new NatsHeaders { [MeshHeaders.Token] = token });
        var released = reply.Data!;
        Assert.Equal(_value, Encoding.ASCII.GetString(SealedBox.Open(released, asker, SecretRelease.InTransit("stripe", HttpProbe.Function, nonce))!));
        Assert.DoesNotContain(_value, Encoding.Latin1.GetString(released));

        // Replayed to anyone else, or into another request (another nonce, function or name), it does not open.
        Assert.Null(SealedBox.Open(released, overhearer, SecretRelease.InTransit("stripe", HttpProbe.Function, nonce)));
        Assert.Null(SealedBox.Open(released, asker, SecretRelease.InTransit("stripe", HttpProbe.Function, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])));
        Assert.Null(SealedBox.Open(released, asker, SecretRelease.InTransit("stripe", "other", nonce)));
        Assert.Null(SealedBox.Open(released, asker, SecretRelease.AtRest("stripe")));
    }

    [Fact]
    public async Task WithTheServiceDown_TheCallFailsWithAClearCode_AndWorksWhenItReturns()
    {
        Assert.Equal(("ok", "1 stored; a secrets service answers"), await DoctorSaysAsync());
        await StopServiceAsync();
        Assert.Equal("warn", (await DoctorSaysAsync()).Result);
        var down = await SendAsync(_probe.Grant(Bound), "POST", $"http://127.0.0.1:{_provider.Port}/v1/charges");
        Assert.Equal("secret.unavailable", down.Status);
        Assert.Contains("no secrets service", down.Message);
        Assert.DoesNotContain(_value, _provider.Received);
        Assert.Empty(_provider.RequestLines);

        await StartServiceAsync();
        var back = await SendAsync(_probe.Grant(Bound), "POST", $"http://127.0.0.1:{_provider.Port}/v1/charges");
        Assert.True(back.IsOk, back.ToString());
        Assert.Contains($"Authorization: Bearer {_value}\r\n", _provider.Received);
        AssertNeverShown();
    }

    [Fact]
    public async Task TheCli_SealsOnTheOperatorsMachine_ListsNamesNotValues_AndRemoves()
    {
        var file = Path.GetTempFileName();
        try
        {
            var github = "ghp_" + Guid.NewGuid().ToString("N");
            await File.WriteAllTextAsync(file, github + "\n");
            var (exit, _, error) = await Cli.RunAsync("secret", "put", "github", "--from-file", file, "--to", _key.PublicKeyText, "--nats", _mesh.Url);
            Assert.True(exit == 0, error);
            Assert.DoesNotContain(github, error);

            var stored = (await (await new NatsKVContext(new NatsJSContext(_mesh.Client)).GetStoreAsync(SecretRelease.Bucket)).GetEntryAsync<byte[]>("github")).Value!;
            Assert.DoesNotContain(github, Encoding.Latin1.GetString(stored));
            Assert.Equal(github, Encoding.ASCII.GetString(SealedBox.Open(stored, _key, SecretRelease.AtRest("github"))!));

            var (_, listed, _) = await Cli.RunAsync("secret", "ls", "--nats", _mesh.Url, "-o", "json");
            Assert.Contains("\"github\"", listed);
            Assert.Contains("\"stripe\"", listed);
            Assert.DoesNotContain(github, listed);
            Assert.DoesNotContain(_value, listed);

            Assert.Equal(0, (await Cli.RunAsync("secret", "rm", "github", "--nats", _mesh.Url)).Exit);
            (exit, _, error) = await Cli.RunAsync("secret", "rm", "github", "--nats", _mesh.Url);
            Assert.NotEqual(0, exit);
            Assert.Contains("no secret 'github'", error);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private async Task<(string Result, string Detail)> DoctorSaysAsync()
    {
        var (_, output, _) = await Cli.RunAsync("doctor", "-o", "json", "--nats", _mesh.Url);
        var check = System.Text.Json.JsonDocument.Parse(output).RootElement.EnumerateArray().Single(c => c.GetProperty("name").GetString() == "secrets");
        return (check.GetProperty("result").GetString()!, check.GetProperty("detail").GetString()!);
    }

    private async Task<string> ForgedAsync(string? token, string secret, string function)
    {
        using var key = SealingKey.Generate();
        var headers = new NatsHeaders();
        if (token is not null)
        {
            headers[MeshHeaders.Token] = token;
        }

        var reply = await _mesh.Client.RequestAsync<byte[], byte[]>(SecretRelease.Subject,
            SecretRelease.Write(new SecretRelease.Request(secret, function, key.PublicKey, new byte[SecretRelease.NonceLength])), headers);
        Assert.DoesNotContain(_value, Encoding.Latin1.GetString(reply.Data ?? []));
        return reply.Headers![MeshHeaders.Status].ToString();
    }

    private static CapabilitySet Capabilities(params string[] rules) => CapabilitySet.None with
    {
        Http = [.. rules.Select(r => RuleText.TryParseHttp(r, out var rule, out var error) ? rule! : throw new ArgumentException(error))],
    };

    private string Attenuate(string token, string rule) => TokenCodec.ToText(TokenIssuer.Attenuate(TokenCodec.FromText(token, 64 * 1024).Value!, new BlockClaims
    {
        Functions = [new FunctionGrant(HttpProbe.Function, [_probe.Module], Capabilities(rule), Limits.None)],
        Expires = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() + 600,
    }).Value!);

    // Every log line and span of the node and the service, and every reply, holds no trace of the value.
    private void AssertNeverShown()
    {
        Assert.NotEmpty(_output.Lines);
        Assert.DoesNotContain(_value, _output.All);
        Assert.DoesNotContain(_value[8..], _output.All);
        foreach (var reply in _replies)
        {
            Assert.DoesNotContain(_value, reply.ToString() + reply.Message + reply.Denied + Encoding.Latin1.GetString(reply.Data));
        }
    }
}
