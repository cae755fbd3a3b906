using System.CommandLine;
using Mesh.Dashboard;
using Microsoft.Extensions.Hosting;

namespace Mesh.Cli.Commands;

/// <summary><c>mesh dashboard</c>: a live, read-only page over the mesh, served from this process until Ctrl-C or SIGTERM.</summary>
public static class DashboardCommand
{
    public static Command Build(CliContext context)
    {
        var nats = new HostNatsOption(context);
        var listen = new Option<string?>("--listen") { Description = "HOST:PORT to serve the page on (default 127.0.0.1:8090, loopback; also Mesh__Dashboard__Listen)" };
        var allowedHosts = new Option<string[]>("--allowed-host")
        {
            Description = "A host name the page is served under besides IP addresses and localhost (repeatable; also Mesh__Dashboard__AllowedHosts__N). Other names are refused",
        };
        var command = new Command("dashboard", "Show nodes, functions, refusals and more, live, in a browser (read-only)") { nats.Option, listen, allowedHosts };
        command.SetAction(async (result, cancellationToken) =>
        {
            var overrides = nats.Overrides(result).ToList();
            if (result.GetValue(listen) is { } address)
            {
                overrides.Add(new("Mesh:Dashboard:Listen", address));
            }

            overrides.AddRange((result.GetValue(allowedHosts) ?? []).Select((h, i) => new KeyValuePair<string, string?>($"Mesh:Dashboard:AllowedHosts:{i}", h)));

            Microsoft.AspNetCore.Builder.WebApplication app;
            try
            {
                app = DashboardHost.Build([], overrides);
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
                    await context.Out.WriteLineAsync($"mesh: dashboard on {string.Join(", ", DashboardHost.Addresses(app))}");
                    await app.WaitForShutdownAsync(cancellationToken);
                }
                catch (IOException e)
                {
                    throw new CliException("dashboard", $"cannot listen on {app.Configuration["Mesh:Dashboard:Listen"] ?? "127.0.0.1:8090"}: {e.Message}");
                }
            }

            return 0;
        });
        return command;
    }
}
