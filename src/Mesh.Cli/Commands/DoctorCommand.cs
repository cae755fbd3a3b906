using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Mesh.Cli.Output;
using Mesh.Contracts.Wire;
using Mesh.Node.Messaging;
using Mesh.Node.Revocation;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>mesh doctor</c>: is this NATS ready for Mesh, and is this machine ready to build functions?
/// NATS reachable, JetStream on, what <c>mesh deploy</c> declares present, nodes answering, their
/// clocks against this one (tokens' times are checked against nodes' clocks), and the toolchain for
/// each guest language. Exits 1 when something Mesh needs is missing; a warning does not.
/// </summary>
public static class DoctorCommand
{
    private static readonly TimeSpan Skew = new Mesh.Contracts.Tokens.TokenVerifierOptions().ClockSkew;
    private static readonly string[] RustWasiTargets = ["wasm32-wasip1", "wasm32-wasi"];

    public static Command Build(CliContext context)
    {
        var nats = new NatsOption(context);
        var output = new OutputOption();
        var command = new Command("doctor", "Check NATS, JetStream, what mesh deploy declares, nodes and their clocks, and the guest toolchains");
        nats.AddTo(command);
        output.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var checks = new List<Check>();
            await NatsChecksAsync(nats, result, context, checks, cancellationToken);
            checks.AddRange(await ToolchainChecksAsync(cancellationToken));
            await output.WriteAsync(result, context.Out, checks, ["CHECK", "RESULT", "DETAIL"], c => [c.Name, c.Result, c.Detail]);
            return checks.Any(c => c.Result == Check.Fail) ? 1 : 0;
        });
        return command;
    }

    private static async Task NatsChecksAsync(NatsOption nats, ParseResult result, CliContext context, List<Check> checks, CancellationToken cancellationToken)
    {
        NatsConnection connection;
        try
        {
            connection = await nats.ConnectAsync(result, cancellationToken);
        }
        catch (CliException e) when (e.Code == "node.unavailable")
        {
            checks.Add(new("nats", Check.Fail, e.Message));
            return;
        }

        await using (connection)
        {
            var rtt = await connection.PingAsync(cancellationToken);
            checks.Add(new("nats", Check.Ok, $"{NatsUrl.Redact(nats.UrlOf(result))}: server {connection.ServerInfo?.Version}, round trip {rtt.TotalMilliseconds:0.0} ms, messages up to {connection.ServerInfo?.MaxPayload:N0} bytes"));
            var js = new NatsJSContext(connection);
            try
            {
                var account = await js.GetAccountInfoAsync(cancellationToken);
                checks.Add(new("jetstream", Check.Ok, $"{account.Streams} streams, {account.Storage:N0} bytes stored"));
            }
            catch (Exception e) when (e is NatsJSApiNoResponseException or NatsJSException or NatsNoRespondersException)
            {
                checks.Add(new("jetstream", Check.Fail, "JetStream does not answer: start nats-server with -js (modules, revocations and jobs live there)"));
                return;
            }

            foreach (var (stream, what) in new[]
            {
                ("OBJ_" + Mesh.Node.ModuleOptions.DefaultBucket, "modules (object store)"),
                ("KV_" + RevocationKeys.DefaultBucket, "revocations (key-value)"),
                (JobSubjects.JobStream, "durable jobs"),
                (JobSubjects.TickStream, "schedule ticks"),
                (JobSubjects.DeadStream, "dead letters"),
                (Subjects.LogStream, "function logs"),
            })
            {
                checks.Add(await StreamCheckAsync(js, stream, what, cancellationToken));
            }

            checks.Add(await SecretsCheckAsync(connection, cancellationToken));
            checks.AddRange(await NodeChecksAsync(connection, context, rtt, cancellationToken));
        }
    }

    // Secrets need a service to release them; with none stored, none is needed.
    private static async Task<Check> SecretsCheckAsync(NatsConnection connection, CancellationToken cancellationToken)
    {
        var store = await Deployment.DeclarationBucket.OpenAsync(new NATS.Client.KeyValueStore.NatsKVContext(new NatsJSContext(connection)), Mesh.Contracts.Secrets.SecretRelease.Bucket, cancellationToken);
        var stored = store is null ? 0 : (await Deployment.DeclarationBucket.KeysAsync(store, cancellationToken)).Count;
        bool answers;
        try
        {
            // A request with no token: a service answers it with a refusal, and that is all we need.
            var reply = await connection.RequestAsync<byte[], byte[]>(Mesh.Contracts.Secrets.SecretRelease.Subject, [], replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(1) }, cancellationToken: cancellationToken);
            answers = !reply.HasNoResponders;
        }
        catch (Exception e) when (e is NatsNoRespondersException or NatsNoReplyException)
        {
            answers = false;
        }

        return (stored, answers) switch
        {
            (_, true) => new("secrets", Check.Ok, $"{stored} stored; a secrets service answers"),
            (0, false) => new("secrets", Check.Ok, "none stored, no secrets service (needed only for secrets: mesh secrets serve)"),
            _ => new("secrets", Check.Warn, $"{stored} stored but no secrets service answers: calls that need one stop with secret.unavailable (mesh secrets serve)"),
        };
    }

    private static async Task<Check> StreamCheckAsync(NatsJSContext js, string stream, string what, CancellationToken cancellationToken)
    {
        try
        {
            var info = await js.GetStreamAsync(stream, cancellationToken: cancellationToken);
            return new(stream, Check.Ok, $"{what}: {info.Info.State.Messages:N0} messages, {info.Info.Config.NumReplicas} replica(s)");
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            // Nodes refuse every call while the revocation bucket is missing (they fail closed).
            var result = stream.StartsWith("KV_", StringComparison.Ordinal) ? Check.Fail : Check.Warn;
            return new(stream, result, $"{what}: missing; 'mesh deploy' declares it");
        }
    }

    private static async Task<List<Check>> NodeChecksAsync(NatsConnection connection, CliContext context, TimeSpan rtt, CancellationToken cancellationToken)
    {
        var checks = new List<Check>();
        var nodes = 0;
        var ready = 0;
        var worstSkew = TimeSpan.Zero;
        string? worst = null;
        long? worstServerSkew = null;
        string? worstServer = null;
        await foreach (var reply in connection.RequestManyAsync<byte[], byte[]>(
            $"$SRV.STATS.{ServiceDiscovery.ServiceName}", [],
            replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(3), IdleTimeout = TimeSpan.FromMilliseconds(500), StartUpTimeout = TimeSpan.FromSeconds(1) },
            cancellationToken: cancellationToken))
        {
            var now = context.Time.GetUtcNow();
            try
            {
                var root = JsonDocument.Parse(reply.Data ?? []).RootElement;
                var data = root.GetProperty("endpoints")[0].GetProperty("data");
                nodes++;
                ready += data.TryGetProperty("ready", out var isReady) && isReady.GetBoolean() ? 1 : 0;
                if (data.TryGetProperty("time", out var time) && time.TryGetDateTimeOffset(out var nodeTime))
                {
                    // The node read its clock within the round trip: what is beyond it is skew.
                    var skew = (nodeTime - now).Duration() - rtt;
                    if (skew > worstSkew)
                    {
                        (worstSkew, worst) = (skew, root.GetProperty("id").GetString());
                    }
                }

                // What the node read of the NATS server's clock (schedules follow that one).
                if (data.TryGetProperty("clock_skew_ms", out var serverSkew) && serverSkew.ValueKind == JsonValueKind.Number
                    && Math.Abs(serverSkew.GetInt64()) >= Math.Abs(worstServerSkew ?? 0))
                {
                    (worstServerSkew, worstServer) = (serverSkew.GetInt64(), root.GetProperty("id").GetString());
                }
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
            {
                // Not a node's answer: not counted.
            }
        }

        checks.Add(nodes == 0
            ? new("nodes", Check.Warn, "no node answered $SRV.STATS.mesh-node within a second: start one with 'mesh node --trust KEY'")
            : new("nodes", ready == nodes ? Check.Ok : Check.Warn, $"{nodes} answered, {ready} ready"));
        if (nodes > 0)
        {
            checks.Add(worstSkew < Skew / 2
                ? new("clock", Check.Ok, $"nodes' clocks within {Math.Max(0, worstSkew.TotalMilliseconds):0} ms of this one")
                : new("clock", worstSkew < Skew ? Check.Warn : Check.Fail, $"node {worst} is {worstSkew.TotalSeconds:0.0} s off this clock; tokens allow {Skew.TotalSeconds:0} s: sync clocks (NTP)"));
            if (worstServerSkew is { } serverSkew)
            {
                checks.Add(Math.Abs(serverSkew) <= (long)Mesh.Node.Schedules.ServerClock.Tolerated.TotalMilliseconds
                    ? new("server clock", Check.Ok, $"nodes' clocks within {Math.Abs(serverSkew)} ms of the NATS server's")
                    : new("server clock", Math.Abs(serverSkew) < (long)Skew.TotalMilliseconds ? Check.Warn : Check.Fail,
                        $"node {worstServer} is {serverSkew / 1000.0:0.0} s {(serverSkew > 0 ? "ahead of" : "behind")} the NATS server; schedules follow the server, tokens allow {Skew.TotalSeconds:0} s: sync clocks (NTP)"));
            }
        }

        return checks;
    }

    private static async Task<List<Check>> ToolchainChecksAsync(CancellationToken cancellationToken)
    {
        var node = await VersionAsync("node", "--version", cancellationToken);
        var npm = await VersionAsync("npm", "--version", cancellationToken);
        var clang = await VersionAsync("clang", "--version", cancellationToken);
        var wasmLd = await VersionAsync("wasm-ld", "--version", cancellationToken);
        var rustc = await VersionAsync("rustc", "--version", cancellationToken);
        var sysroot = rustc is null ? null : await VersionAsync("rustc", "--print sysroot", cancellationToken);
        var rustWasi = sysroot is not null && RustWasiTargets.Any(t => Directory.Exists(Path.Combine(sysroot, "lib", "rustlib", t)));
        return
        [
            new("toolchain: WAT", Check.Ok, "built in (mesh deploy takes .wat)"),
            node is not null && npm is not null
                ? new("toolchain: AssemblyScript", Check.Ok, $"node {node}, npm {npm}")
                : new("toolchain: AssemblyScript", Check.Warn, "node and npm not found: apt-get install nodejs npm"),
            clang is not null && wasmLd is not null
                ? new("toolchain: C", Check.Ok, First(clang))
                : new("toolchain: C", Check.Warn, "clang and wasm-ld not found: apt-get install clang lld"),
            rustc is not null && rustWasi
                ? new("toolchain: Rust", Check.Ok, $"{rustc}, wasm32-wasi standard library")
                : new("toolchain: Rust", Check.Warn, rustc is null ? "rustc not found: apt-get install rustc libstd-rust-dev-wasm32" : "no wasm32-wasi standard library: apt-get install libstd-rust-dev-wasm32"),
        ];
    }

    private static string First(string text) => text.Split('\n')[0];

    /// <summary>A tool's answer to <paramref name="arguments"/> (first line), or null when it is not there or fails.</summary>
    private static async Task<string?> VersionAsync(string tool, string arguments, CancellationToken cancellationToken)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(tool, arguments.Split(' '))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (process is null)
            {
                return null;
            }

            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(TimeSpan.FromSeconds(10));
            var text = await process.StandardOutput.ReadToEndAsync(limit.Token);
            await process.WaitForExitAsync(limit.Token);
            return process.ExitCode == 0 ? First(text.Trim()) : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or OperationCanceledException or InvalidOperationException)
        {
            return null;
        }
    }

    private sealed record Check(string Name, string Result, string Detail)
    {
        public const string Ok = "ok";
        public const string Warn = "warn";
        public const string Fail = "FAIL";
    }
}
