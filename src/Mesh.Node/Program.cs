using Mesh.Node;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

// The node as a process of its own (containers, systemd). `mesh node` runs the same host.
using var host = NodeHost.Build(args);
try
{
    // Settings are checked before anything starts, so a mistake is one line and exit code 2.
    _ = host.Services.GetRequiredService<IOptions<NodeOptions>>().Value;
}
catch (OptionsValidationException e)
{
    await Console.Error.WriteLineAsync($"mesh-node: invalid settings: {string.Join("; ", e.Failures)}");
    return 2;
}

await host.RunAsync();
return 0;
