using Mesh.Node;
using Mesh.Node.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

// The node as a process of its own (containers, systemd). `mesh node` runs the same host.
// `dotnet Mesh.Node.dll secrets` runs the secrets service instead (`mesh secrets serve`), with
// its key from Mesh__Secrets__KeyFile: the same image serves both.
var secrets = args.FirstOrDefault() == "secrets";
using var host = secrets ? SecretsHost.Build([]) : NodeHost.Build(args);
try
{
    // Settings are checked before anything starts, so a mistake is one line and exit code 2.
    var options = host.Services.GetRequiredService<IOptions<NodeOptions>>().Value;
    var problem = "";
    using var key = secrets ? SecretsHost.Key(options.Secrets, out problem) : null;
    if (secrets && key is null)
    {
        await Console.Error.WriteLineAsync($"mesh-secrets: invalid settings: {problem}");
        return 2;
    }
}
catch (OptionsValidationException e)
{
    await Console.Error.WriteLineAsync($"mesh-{(secrets ? "secrets" : "node")}: invalid settings: {string.Join("; ", e.Failures)}");
    return 2;
}

await host.RunAsync();
return 0;
