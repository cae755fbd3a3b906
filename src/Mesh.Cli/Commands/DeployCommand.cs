using System.CommandLine;
using Mesh.Cli.Deployment;
using Mesh.Cli.Manifest;
using Mesh.Cli.Parsing;
using Mesh.Contracts.Wire;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>mesh deploy FILE.wasm</c>: checks the module, stores it by digest, prints the digest.
/// <c>mesh deploy -f mesh.yaml --key SEED</c>: builds, uploads and grants a whole manifest, writing
/// one token per function (mode 0600) and printing how to call each.
/// </summary>
public static class DeployCommand
{
    public static Command Build(CliContext context)
    {
        var file = new Argument<string?>("FILE") { Description = "The module: a .wasm file, or a .wat text file", Arity = ArgumentArity.ZeroOrOne };
        var nats = new NatsOption(context);
        var bucket = new Option<string>("--bucket") { Description = "Object store bucket nodes fetch modules from", DefaultValueFactory = _ => Mesh.Node.ModuleOptions.DefaultBucket };
        var manifest = new Option<string?>("--manifest", "-f") { Description = "Deploy a whole manifest (mesh.yaml) instead of one module" };
        var key = new KeyOption(context, "With -f: issuer seed to sign each function's token with");
        var replicas = new Option<int?>("--replicas") { Description = "Copies JetStream keeps of every stream and bucket Mesh uses (3 in a three-server cluster); without it, each keeps what it has and new ones get 1" };
        var output = new Option<string>("--out") { Description = "With -f: directory for the tokens", DefaultValueFactory = _ => Path.Combine(".mesh", "tokens") };
        var command = new Command("deploy", "Upload a module to the NATS object store under its digest (prints sha256:HEX), or build, upload and grant a manifest")
        {
            file, bucket, manifest, key.Option, output, replicas,
        };
        nats.AddTo(command);
        var format = new Output.OutputOption();
        format.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            Replicas(result.GetValue(replicas));
            if (result.GetValue(manifest) is { } manifestPath)
            {
                if (result.GetValue(file) is not null)
                {
                    throw CliException.Usage("give a module FILE or -f MANIFEST, not both");
                }

                return await DeployManifestAsync(context, manifestPath, key.PathOrNull(result), result.GetValue(output)!, nats, format, result, new ModuleUpload.Buckets(result.GetValue(bucket)!, result.GetValue(replicas)), cancellationToken);
            }

            if (key.Given(result) || result.GetResult(output) is { Implicit: false })
            {
                throw CliException.Usage("--key and --out only apply with -f MANIFEST (they sign and store a token per function)");
            }

            var path = result.GetValue(file) ?? throw CliException.Usage("give a module FILE, or -f MANIFEST");
            var bytes = ModuleReference.ReadBytes(path);
            await using var connection = await nats.ConnectAsync(result, cancellationToken);
            var buckets = new ModuleUpload.Buckets(result.GetValue(bucket)!, result.GetValue(replicas));
            StreamReplicas.RequireCluster(connection, buckets.Replicas);
            var digest = await ModuleUpload.UploadAsync(connection, buckets, path, bytes, cancellationToken);
            await MeshDeclaration.DeclareAsync(connection, buckets, context.Error, cancellationToken);
            if (format.IsJson(result))
            {
                await format.WriteRecordAsync(result, context.Out, new { Module = digest.ToString(), From = Path.GetFileName(path) }, []);
            }
            else
            {
                await context.Out.WriteLineAsync(digest.ToString());
            }

            return 0;
        });
        return command;
    }

    private static async Task<int> DeployManifestAsync(CliContext context, string path, string? keyPath, string output, NatsOption nats, Output.OutputOption format, ParseResult result, ModuleUpload.Buckets buckets, CancellationToken cancellationToken)
    {
        var url = nats.UrlOf(result);
        var app = ManifestReader.Read(path);
        using var issuer = keyPath is null ? null : SeedFile.Read(keyPath);
        await using var connection = await nats.ConnectAsync(result, cancellationToken);
        StreamReplicas.RequireCluster(connection, buckets.Replicas);
        var deployed = await new ManifestDeployment(context).DeployAsync(app, connection, issuer, buckets, cancellationToken);
        if (issuer is not null)
        {
            Directory.CreateDirectory(output);
        }
        else
        {
            await context.Error.WriteLineAsync("mesh: note: deployed without --key, so no tokens were written; give --key SEED to sign one per function");
        }

        var rows = new List<DeployedRow>();
        foreach (var function in deployed)
        {
            if (function.Token is null)
            {
                rows.Add(new DeployedRow(function.Spec.Name, function.Module.ToString(), null, null));
                continue;
            }

            var tokenPath = Path.Combine(output, function.Spec.Name + ".token");
            SecretFile.Write(tokenPath, function.Token, replace: true);
            string[] data = function.Spec.Example is { } example ? ["--data", example] : [];
            rows.Add(new DeployedRow(function.Spec.Name, function.Module.ToString(), tokenPath, Output.PasteableCommand.Line(context, ["call", function.Spec.Name, "--token", "@" + tokenPath, .. data, "--nats", NatsUrl.Redact(url)])));
        }

        if (format.IsJson(result))
        {
            await format.WriteRecordAsync(result, context.Out, rows, []);
        }
        else
        {
            // Lines without a header, as before: function, module and, with a key, how to call it.
            foreach (var row in rows)
            {
                await context.Out.WriteLineAsync(row.Call is null ? $"{row.Function}\t{row.Module}" : $"{row.Function}\t{row.Module}\t{row.Call}");
            }
        }

        return 0;
    }

    private sealed record DeployedRow(string Function, string Module, string? Token, string? Call);

    /// <summary>Checks a <c>--replicas</c> value: JetStream keeps 1 to 5 copies.</summary>
    public static int? Replicas(int? replicas) =>
        replicas is null or (>= 1 and <= 5) ? replicas : throw CliException.Usage($"--replicas must be 1 to 5 (JetStream's limit), not {replicas}");
}
