using System.CommandLine;
using Mesh.Node;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Mesh.Cli.Commands;

/// <summary><c>mesh node</c>: run a node in this process until Ctrl-C or SIGTERM, then drain.</summary>
public static class NodeCommand
{
    public static Command Build(CliContext context)
    {
        // No default here: without --nats, Mesh__Nats__Url decides, then MESH_NATS_URL or the selected context, and only then nats://127.0.0.1:4222.
        var nats = new Option<string?>("--nats") { Description = $"NATS server URL (default: Mesh__Nats__Url, else $MESH_NATS_URL or the selected context's, else {NatsOption.DefaultUrl})" };
        var trust = new Option<string[]>("--trust") { Description = "A trusted issuer public key (O...). Repeatable; also Mesh__Tokens__TrustedRoots__N" };
        var concurrency = new Option<int?>("--concurrency") { Description = "Invocations at once (default: twice the cores)" };
        var command = new Command("node", "Run a Mesh node: serve mesh.fn.> with the authority of each message's token") { nats, trust, concurrency };
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

            var keys = result.GetValue(trust) ?? [];
            overrides.AddRange(keys.Select((key, i) => new KeyValuePair<string, string?>($"Mesh:Tokens:TrustedRoots:{i}", key)));
            if (result.GetValue(concurrency) is { } n)
            {
                overrides.Add(new("Mesh:Execution:Concurrency", n.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }

            using var host = NodeHost.Build([], overrides);
            try
            {
                // Settings are checked before the host starts, so a mistake reads as one line.
                _ = host.Services.GetRequiredService<IOptions<NodeOptions>>().Value;
                await host.RunAsync(cancellationToken);
            }
            catch (OptionsValidationException e)
            {
                throw CliException.Usage(string.Join("; ", e.Failures));
            }

            return 0;
        });
        return command;
    }
}
