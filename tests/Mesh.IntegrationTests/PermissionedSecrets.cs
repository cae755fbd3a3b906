using Mesh.Contracts.Keys;
using Mesh.Node.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Mesh.IntegrationTests;

/// <summary>
/// A secrets service on a <see cref="PermissionedMesh"/>, as its own least-privilege user
/// (<c>mesh-secrets</c>, inbox <c>_INBOX.secrets</c>), and the operator's <c>mesh secret</c>
/// commands, run as a person would run them.
/// </summary>
public sealed class PermissionedSecrets(PermissionedMesh fixture) : IAsyncDisposable
{
    private readonly SealingKey _key = SealingKey.Generate();
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("mesh-secrets-");
    private IHost? _service;

    public async Task StartAsync()
    {
        _service = SecretsHost.Build(new Dictionary<string, string?>
        {
            ["Mesh:Nats:Url"] = fixture.UrlFor("mesh-secrets"),
            ["Mesh:Nats:InboxPrefix"] = "_INBOX.secrets",
            ["Mesh:Tokens:TrustedRoots:0"] = fixture.Mesh.Issuer.PublicKeyText,
            ["Mesh:Secrets:Key"] = _key.ExportSeedText(),
            ["Logging:LogLevel:Default"] = "Warning",
        });
        await _service.StartAsync();
        await _service.Services.GetRequiredService<SecretService>().Ready.WaitAsync(TimeSpan.FromSeconds(20));
    }

    public async Task StopAsync()
    {
        if (_service is not null)
        {
            await _service.StopAsync();
            _service.Dispose();
            _service = null;
        }
    }

    /// <summary><c>mesh secret put NAME --from-file F --to X...</c> as the operator; returns when the command does.</summary>
    public async Task PutAsync(string name, string value)
    {
        var file = Path.Combine(_directory.FullName, name);
        await File.WriteAllTextAsync(file, value);
        var (exit, _, error) = await Cli.RunAsync("secret", "put", name, "--from-file", file, "--to", _key.PublicKeyText, "--nats", fixture.OperatorUrl);
        File.Delete(file);
        Assert.True(exit == 0, error);
    }

    /// <summary><c>mesh secret rm NAME</c> as the operator; returns when the command does.</summary>
    public async Task RemoveAsync(string name)
    {
        var (exit, _, error) = await Cli.RunAsync("secret", "rm", name, "--nats", fixture.OperatorUrl);
        Assert.True(exit == 0, error);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _key.Dispose();
        _directory.Delete(recursive: true);
    }
}
