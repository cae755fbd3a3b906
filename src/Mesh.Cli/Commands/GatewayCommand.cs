using System.CommandLine;
using Mesh.Gateway;
using Microsoft.Extensions.Hosting;

namespace Mesh.Cli.Commands;

/// <summary><c>mesh gateway</c>: serve functions over HTTP in this process until Ctrl-C or SIGTERM.</summary>
public static class GatewayCommand
{
    public static Command Build(CliContext context)
    {
        var nats = new HostNatsOption(context);
        var listen = new Option<string?>("--listen") { Description = "HOST:PORT to serve HTTP on (default 127.0.0.1:8080; also Mesh__Gateway__Listen)" };
        var command = new Command("gateway", "Serve functions over HTTP: POST /fn/NAME with a bearer token, and the routes mesh deploy declared") { nats.Option, listen };
        command.SetAction(async (result, cancellationToken) =>
        {
            var overrides = nats.Overrides(result).ToList();

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
