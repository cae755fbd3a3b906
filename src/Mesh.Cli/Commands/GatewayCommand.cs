using System.CommandLine;
using Mesh.Gateway;
using Microsoft.Extensions.Hosting;

namespace Mesh.Cli.Commands;

/// <summary><c>mesh gateway</c>: serve functions over HTTP in this process until Ctrl-C or SIGTERM.</summary>
public static class GatewayCommand
{
    public static Command Build(CliContext context)
    {
        var nats = new Option<string?>("--nats") { Description = $"NATS server URL (default: Mesh__Nats__Url, else $MESH_NATS_URL or the selected context's, else {NatsOption.DefaultUrl})" };
        var listen = new Option<string?>("--listen") { Description = "HOST:PORT to serve HTTP on (default 127.0.0.1:8080; also Mesh__Gateway__Listen)" };
        var command = new Command("gateway", "Serve functions over HTTP: POST /fn/NAME with a bearer token, and the routes mesh deploy declared") { nats, listen };
        command.SetAction(async (result, cancellationToken) =>
        {
            var overrides = new List<KeyValuePair<string, string?>>();
            if (result.GetValue(nats) is { } url)
            {
                overrides.Add(new("Mesh:Nats:Url", url));
            }
            else if (context.Variables("Mesh__Nats__Url") is null && context.Defaults.Nats is { } fallback)
            {
                overrides.Add(new("Mesh:Nats:Url", fallback));
            }

            if (result.GetValue(listen) is { } address)
            {
                overrides.Add(new("Mesh:Gateway:Listen", address));
            }

            Microsoft.AspNetCore.Builder.WebApplication app;
            try
            {
                app = GatewayHost.Build([], overrides);
            }
            catch (ArgumentException e)
            {
                throw CliException.Usage(e.Message);
            }

            await using (app)
            {
                try
                {
                    await app.StartAsync(cancellationToken);
                    await app.WaitForShutdownAsync(cancellationToken);
                }
                catch (IOException e)
                {
                    // Kestrel could not bind: the address is taken or not this machine's.
                    throw new CliException("gateway", $"cannot listen on {app.Configuration["Mesh:Gateway:Listen"] ?? "127.0.0.1:8080"}: {e.Message}");
                }
            }

            return 0;
        });
        return command;
    }
}
