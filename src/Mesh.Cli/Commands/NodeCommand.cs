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
        var nats = new HostNatsOption(context);
        var trust = new Option<string[]>("--trust") { Description = "A trusted issuer public key (O...). Repeatable; also Mesh__Tokens__TrustedRoots__N" };
        var concurrency = new Option<int?>("--concurrency") { Description = "Invocations at once (default: twice the cores)" };
        var command = new Command("node", "Run a Mesh node: serve mesh.fn.> with the authority of each message's token") { nats.Option, trust, concurrency };
        command.SetAction(async (result, cancellationToken) =>
        {
            var overrides = nats.Overrides(result).ToList();

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
