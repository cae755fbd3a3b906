using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Mesh.Cli.Deployment;
using Mesh.Cli.Local;
using Mesh.Cli.Manifest;
using Mesh.Cli.Output;
using Mesh.Cli.Parsing;
using Mesh.Client;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Wire;
using Mesh.Node;
using Mesh.Node.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NATS.Client.Core;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>mesh up</c>: a whole local mesh in one command. Its own nats-server with JetStream on a free
/// port and temporary storage (unless <c>--nats</c>), N nodes in this process, a throw-away issuer,
/// the manifest built, deployed and granted, each example called, and ready-to-paste
/// <c>mesh call</c> lines. Ctrl-C or SIGTERM stops what it started and deletes what it wrote.
/// </summary>
public static class UpCommand
{
    public static Command Build(CliContext context)
    {
        var manifest = new Option<string>("--manifest", "-f") { Description = "The application to run", DefaultValueFactory = _ => Path.Combine("examples", "mesh.yaml") };
        var nodes = new Option<int>("--nodes") { Description = "Nodes to start", DefaultValueFactory = _ => 2 };
        var nats = new Option<string?>("--nats") { Description = "Use this NATS (with JetStream) instead of starting a nats-server" };
        var once = new Option<bool>("--once") { Description = "Call the examples, then stop (exit 1 if any failed)" };
        var watch = new Option<bool>("--watch") { Description = "Rebuild and redeploy when the application's sources change (tokens are rewritten in place)" };
        var gateway = new Option<string>("--gateway") { Description = "HOST:PORT of the HTTP gateway it starts (a free port when 8080 is taken)", DefaultValueFactory = _ => "127.0.0.1:8080" };
        var dashboard = new Option<string>("--dashboard") { Description = "HOST:PORT of the dashboard it starts (a free port when 8090 is taken)", DefaultValueFactory = _ => "127.0.0.1:8090" };
        var command = new Command("up", "Run a local mesh: nats-server, nodes, an HTTP gateway, a dashboard, the example functions; Ctrl-C stops it all") { manifest, nodes, nats, once, watch, gateway, dashboard };
        command.SetAction(async (result, cancellationToken) =>
        {
            if (result.GetValue(nodes) is < 1 or > 16)
            {
                throw CliException.Usage("--nodes must be between 1 and 16");
            }

            if (result.GetValue(once) && result.GetValue(watch))
            {
                throw CliException.Usage("--once stops after the examples and --watch keeps redeploying: give one");
            }

            if (result.GetValue(nats) is { } url && NatsUrl.Problem(url) is { } problem)
            {
                throw CliException.Usage($"--nats: {problem}");
            }

            if (Mesh.Gateway.GatewayOptions.ParseListen(result.GetValue(gateway)!, out var listenProblem) is null)
            {
                throw CliException.Usage($"--gateway: {listenProblem}");
            }

            if (Mesh.Client.ListenAddress.Parse("--dashboard", result.GetValue(dashboard)!, out var dashboardProblem) is null)
            {
                throw CliException.Usage(dashboardProblem);
            }

            var app = ManifestReader.Read(result.GetValue(manifest)!);

            // Ctrl-C and SIGTERM end the wait; the cleanup below still runs.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            void Stop(PosixSignalContext signal)
            {
                signal.Cancel = true;
                stop.Cancel();
            }

            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            await using var mesh = new LocalMesh(context);
            try
            {
                return await mesh.RunAsync(app, result.GetValue(nodes), result.GetValue(nats), result.GetValue(once), result.GetValue(watch), result.GetValue(gateway)!, result.GetValue(dashboard)!, stop.Token) ? 0 : 1;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Stopped while starting: what started is stopped on the way out all the same.
                await context.Error.WriteLineAsync("mesh up: stopped before it was ready");
                return 130;
            }
        });
        return command;
    }

    /// <summary>Everything <c>mesh up</c> started, stopped and removed in reverse order on dispose.</summary>
    private sealed class LocalMesh(CliContext context) : IAsyncDisposable
    {
        private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("mesh-up-");
        private readonly List<IHost> _nodes = [];
        private NatsServerProcess? _server;
        private NatsConnection? _client;
        private Microsoft.AspNetCore.Builder.WebApplication? _gateway;
        private Microsoft.AspNetCore.Builder.WebApplication? _dashboard;
        private IHost? _secrets;

        public async Task<bool> RunAsync(AppManifest app, int nodeCount, string? url, bool once, bool watch, string listen, string dashboardListen, CancellationToken cancellationToken)
        {
            if (url is null)
            {
                _server = await NatsServerProcess.StartAsync();
                url = _server.Url;
                await Say($"nats-server on {NatsUrl.Redact(url)} (JetStream, temporary storage)");
            }

            using var issuer = SigningKey.Generate();
            var seed = Path.Combine(_directory.FullName, "issuer.seed");
            SeedFile.Write(seed, issuer, force: false);
            // Deployed first: nodes use the revocation bucket and job streams a deploy declares, never make them.
            // Checked and connected before anything starts: a wrong or unreachable --nats is one line.
            _client = await NatsOption.ConnectAsync(url, NatsOption.DefaultInboxPrefix, cancellationToken);
            var deployed = await new ManifestDeployment(context).DeployAsync(app, _client, issuer, new ModuleUpload.Buckets(ModuleOptions.DefaultBucket), cancellationToken);
            for (var i = 0; i < nodeCount; i++)
            {
                _nodes.Add(await StartNodeAsync(url, issuer.PublicKeyText, i, cancellationToken));
            }

            await Say($"{nodeCount} node{(nodeCount == 1 ? "" : "s")} serving mesh.fn.>, trusting only a throw-away issuer {issuer.PublicKeyText} (seed: {seed})");
            var http = await StartGatewayAsync(url, listen, cancellationToken);
            using var sealing = SealingKey.Generate();
            _secrets = Mesh.Node.Secrets.SecretsHost.Build(new Dictionary<string, string?>
            {
                ["Mesh:Nats:Url"] = url,
                ["Mesh:Nats:Name"] = "mesh-up-secrets",
                ["Mesh:Tokens:TrustedRoots:0"] = issuer.PublicKeyText,
                ["Mesh:Secrets:Key"] = sealing.ExportSeedText(),
                ["Logging:LogLevel:Default"] = "Warning",
            }, embedded: true);
            await _secrets.StartAsync(cancellationToken);
            await Say($"secrets service with a throw-away sealing key: {PasteableCommand.Line(context, "secret", "put", "NAME", "--from-file", "FILE", "--to", sealing.PublicKeyText, "--nats", NatsUrl.Redact(url))}");
            await Say($"HTTP gateway on {http}: POST /fn/NAME with a bearer token{(app.Functions.Any(f => f.Route is not null) ? ", and the manifest's routes" : "")}");
            await Say($"dashboard on {await StartDashboardAsync(url, dashboardListen, issuer.PublicKeyText, cancellationToken)} (read-only: nodes, functions, refusals, dead letters, a token inspector)");
            var tokens = Directory.CreateDirectory(Path.Combine(_directory.FullName, "tokens")).FullName;
            foreach (var function in deployed)
            {
                SecretFile.Write(Path.Combine(tokens, function.Spec.Name + ".token"), function.Token!, replace: true);
            }

            var failures = 0;
            await Say("calling each example:");
            foreach (var function in deployed.Where(f => f.Spec.Example is not null))
            {
                failures += await TryAsync(function, cancellationToken) ? 0 : 1;
            }

            if (once)
            {
                // Nothing to paste: what the lines would reach stops with this command.
                return failures == 0;
            }

            await context.Out.WriteLineAsync();
            await Say($"try them yourself (tokens in {tokens}):");
            foreach (var function in deployed.Where(f => f.Spec.Example is not null))
            {
                var token = Path.Combine(tokens, function.Spec.Name + ".token");
                await context.Out.WriteLineAsync("  " + PasteableCommand.Line(context, "call", function.Spec.Name, "--token", "@" + token, "--data", function.Spec.Example!, "--nats", NatsUrl.Redact(url)));
            }

            await context.Out.WriteLineAsync();
            await Say("and over HTTP:");
            foreach (var function in deployed.Where(f => f.Spec.Example is not null))
            {
                var token = Path.Combine(tokens, function.Spec.Name + ".token");
                await context.Out.WriteLineAsync($"  curl -sS -X POST {http}/fn/{function.Spec.Name} -H \"Authorization: Bearer $(cat {PasteableCommand.Quote(token)})\" --data-binary {PasteableCommand.Quote(function.Spec.Example!)}");
            }

            foreach (var function in deployed.Where(f => f.Spec.Route is { Public: true }))
            {
                var route = function.Spec.Route!;
                await context.Out.WriteLineAsync($"  curl -sS -X {route.Method} {http}{route.Path}{(function.Spec.Example is { } example ? " --data-binary " + PasteableCommand.Quote(example) : "")}");
            }

            await context.Out.WriteLineAsync();
            await Say("running; function logs and outcomes follow ('./mesh logs' shows them too); Ctrl-C stops it and removes what it made");
            var logs = PrintLogsAsync(cancellationToken);
            try
            {
                if (watch)
                {
                    await WatchAsync(app, issuer, deployed, tokens, cancellationToken);
                }

                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                await Say("stopping");
            }

            await logs;
            return failures == 0;
        }

        private static async Task<IHost> StartNodeAsync(string url, string trusted, int index, CancellationToken cancellationToken)
        {
            var node = NodeHost.Build([], new Dictionary<string, string?>
            {
                ["Mesh:Nats:Url"] = url,
                ["Mesh:Nats:Name"] = $"mesh-up-node-{index + 1}",
                ["Mesh:Tokens:TrustedRoots:0"] = trusted,
                ["Mesh:Execution:DrainTimeout"] = "00:00:02",
                ["Logging:LogLevel:Default"] = "Warning",
            }, embedded: true);
            await node.StartAsync(cancellationToken);
            await node.Services.GetServices<IHostedService>().OfType<FunctionService>().Single().Ready.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            return node;
        }

        private async Task<bool> TryAsync(DeployedFunction function, CancellationToken cancellationToken)
        {
            var spec = function.Spec;
            var started = Stopwatch.GetTimestamp();
            string shown;
            var ok = true;
            try
            {
                var reply = await new MeshClient(_client!).CallAsync(spec.Name, function.Token!, Encoding.UTF8.GetBytes(spec.Example!), cancellationToken: cancellationToken);
                shown = CallReply.Text(reply, indented: false);
            }
            catch (CliException e)
            {
                shown = $"FAILED {e.Code}: {e.Message}";
                ok = false;
            }

            var chain = spec.Then.IsEmpty ? "" : $"   (then {string.Join(", ", spec.Then)})";
            await context.Out.WriteLineAsync($"  {spec.Name}('{spec.Example}') -> {shown}   [{Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.0} ms]{chain}");
            return ok;
        }

        // --watch: each change to the sources rebuilds and redeploys the application; a function
        // whose module changed gets a new token in the same file, so the printed lines keep working.
        private async Task WatchAsync(AppManifest app, SigningKey issuer, IReadOnlyList<DeployedFunction> deployed, string tokens, CancellationToken cancellationToken)
        {
            using var watcher = new SourceWatcher(app.Directory, TimeSpan.FromMilliseconds(300));
            var modules = deployed.ToDictionary(f => f.Spec.Name, f => f.Module, StringComparer.Ordinal);
            await Say($"watching {app.Directory} for changes");
            while (true)
            {
                var touched = await watcher.NextAsync(cancellationToken);
                await Say($"changed: {string.Join(", ", touched.Select(t => Path.GetRelativePath(app.Directory, t)))}; rebuilding");
                try
                {
                    var fresh = ManifestReader.Read(app.Path);
                    var again = await new ManifestDeployment(context).DeployAsync(fresh, _client!, issuer, new ModuleUpload.Buckets(ModuleOptions.DefaultBucket), cancellationToken);
                    foreach (var function in again)
                    {
                        SecretFile.Write(Path.Combine(tokens, function.Spec.Name + ".token"), function.Token!, replace: true);
                        if (!modules.TryGetValue(function.Spec.Name, out var before) || before != function.Module)
                        {
                            await Say($"{function.Spec.Name} redeployed: {function.Module}");
                        }

                        modules[function.Spec.Name] = function.Module;
                    }
                }
                catch (CliException e)
                {
                    await Say($"redeploy failed, still running what was deployed before: {e.Code}: {e.Message}");
                }
                catch (Exception e) when (e is NATS.Client.Core.NatsException or IOException)
                {
                    await Say($"redeploy failed, still running what was deployed before: {PrintableText.Clean(e.Message, 300)}");
                }
            }
        }

        // Every node's mesh.log.> entries as they come, until the mesh stops.
        private async Task PrintLogsAsync(CancellationToken cancellationToken)
        {
            try
            {
                await foreach (var msg in _client!.SubscribeAsync<byte[]>(Subjects.LogPrefix + ">", cancellationToken: cancellationToken))
                {
                    foreach (var entry in FunctionLogText.Parse(msg.Data ?? []))
                    {
                        await context.Out.WriteLineAsync("  " + FunctionLogText.Format(entry, context.Colour));
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        private Task Say(string line) => context.Out.WriteLineAsync($"mesh up: {line}");

        // The gateway on the address asked for, or on a free port when that one is taken.
        private async Task<string> StartGatewayAsync(string url, string listen, CancellationToken cancellationToken)
        {
            (_gateway, var address) = await StartWebAsync("gateway", listen, at => Mesh.Gateway.GatewayHost.Build([], new Dictionary<string, string?>
            {
                ["Mesh:Nats:Url"] = url,
                ["Mesh:Gateway:Listen"] = at,
                ["Logging:LogLevel:Default"] = "Warning",
            }, embedded: true), Mesh.Gateway.GatewayHost.Addresses, cancellationToken);
            return address;
        }

        // The dashboard likewise, its inspector trusting the throw-away issuer.
        private async Task<string> StartDashboardAsync(string url, string listen, string issuer, CancellationToken cancellationToken)
        {
            (_dashboard, var address) = await StartWebAsync("dashboard", listen, at => Mesh.Dashboard.DashboardHost.Build([], new Dictionary<string, string?>
            {
                ["Mesh:Nats:Url"] = url,
                ["Mesh:Dashboard:Listen"] = at,
                ["Mesh:Tokens:TrustedRoots:0"] = issuer,
                ["Logging:LogLevel:Default"] = "Warning",
            }, embedded: true), Mesh.Dashboard.DashboardHost.Addresses, cancellationToken);
            return address;
        }

        private async Task<(Microsoft.AspNetCore.Builder.WebApplication App, string Address)> StartWebAsync(
            string what, string listen, Func<string, Microsoft.AspNetCore.Builder.WebApplication> build, Func<Microsoft.AspNetCore.Builder.WebApplication, IReadOnlyList<string>> addresses, CancellationToken cancellationToken)
        {
            foreach (var address in new[] { listen, "127.0.0.1:0" }.Distinct())
            {
                var app = build(address);
                try
                {
                    await app.StartAsync(cancellationToken);
                    return (app, addresses(app)[0]);
                }
                catch (IOException e)
                {
                    await app.DisposeAsync();
                    await Say($"cannot listen on {address} for the {what} ({e.Message}); taking a free port");
                }
            }

            throw new CliException(what, "cannot listen on any port");
        }

        public async ValueTask DisposeAsync()
        {
            if (_client is not null)
            {
                await _client.DisposeAsync();
            }

            if (_secrets is not null)
            {
                using var stopSecrets = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _secrets.StopAsync(stopSecrets.Token);
                _secrets.Dispose();
            }

            foreach (var web in new[] { _gateway, _dashboard })
            {
                if (web is not null)
                {
                    using var stopWeb = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await web.StopAsync(stopWeb.Token);
                    await web.DisposeAsync();
                }
            }

            foreach (var node in _nodes)
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await node.StopAsync(stop.Token);
                node.Dispose();
            }

            _server?.Dispose();
            _directory.Delete(recursive: true);
        }
    }
}
