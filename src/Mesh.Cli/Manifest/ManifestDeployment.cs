using System.Diagnostics;
using Mesh.Cli.Deployment;
using Mesh.Cli.Parsing;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.Cli.Manifest;

/// <summary>A function as deployed: its module's digest and, when an issuer signed one, its token.</summary>
public sealed record DeployedFunction(FunctionSpec Spec, Sha256Digest Module, string? Token)
{
    /// <summary>What its token grants: itself and what its calls reach, each at its module.</summary>
    public System.Collections.Immutable.ImmutableArray<FunctionGrant> Grants { get; init; } = [];
}

/// <summary>
/// Puts a manifest on a NATS: runs each distinct build command once (in the manifest's directory),
/// uploads every module under its digest, creates the key-value buckets, and with an issuer key
/// signs one token per function granting exactly what its calls reach. Progress goes to stderr.
/// </summary>
public sealed class ManifestDeployment(CliContext context)
{
    public async Task<IReadOnlyList<DeployedFunction>> DeployAsync(
        AppManifest manifest, INatsConnection nats, SigningKey? issuer, ModuleUpload.Buckets buckets, CancellationToken cancellationToken)
    {
        foreach (var build in manifest.Functions.Select(f => f.Build).OfType<string>().Distinct())
        {
            await BuildAsync(manifest.Directory, build, cancellationToken);
        }

        var digests = new Dictionary<string, Sha256Digest>();
        foreach (var function in manifest.Functions)
        {
            if (!File.Exists(function.Module))
            {
                throw new CliException("manifest", $"{Path.GetFileName(manifest.Path)}:{function.Line}: functions.{function.Name}.module: '{function.Module}' does not exist{(function.Build is null ? "" : " after its build")}");
            }

            digests[function.Name] = await ModuleUpload.UploadAsync(nats, buckets, function.Module, ModuleReference.ReadBytes(function.Module), cancellationToken);
        }

        await MeshDeclaration.DeclareAsync(nats, buckets, context.Error, cancellationToken);
        await context.Error.WriteLineAsync($"mesh: deployed {digests.Values.Distinct().Count()} modules for {manifest.Functions.Length} functions");
        var js = new NatsJSContext(nats);
        var kv = new NatsKVContext(js);
        foreach (var name in manifest.Buckets)
        {
            var replicas = await StreamReplicas.ResolveAsync(js, "KV_" + name, buckets.Replicas, cancellationToken);
            await kv.CreateOrUpdateStoreAsync(new NatsKVConfig(name) { NumberOfReplicas = replicas }, cancellationToken);
        }

        var now = context.Time.GetUtcNow().ToUnixTimeSeconds();
        List<DeployedFunction> deployed =
        [
            .. manifest.Functions.Select(function =>
            {
                System.Collections.Immutable.ImmutableArray<FunctionGrant> grants = [.. manifest.Reachable(function).Select(f => f.Grant(digests[f.Name]))];
                var token = issuer is null ? null : TokenCodec.ToText(CliException.Unwrap(TokenIssuer.Issue(issuer, new BlockClaims
                {
                    TokenId = TokenIssuer.NewTokenId(),
                    IssuedAt = now,
                    NotBefore = now,
                    Expires = now + (long)manifest.TokenTtl.TotalSeconds,
                    MaxDepth = manifest.MaxDepth,
                    Audience = function.Name,
                    Functions = grants,
                })));
                return new DeployedFunction(function, digests[function.Name], token) { Grants = grants };
            }),
        ];
        await new TriggerDeployment(context).WriteAsync(manifest, deployed, nats, issuer, buckets.Replicas, cancellationToken);
        return deployed;
    }

    private async Task BuildAsync(string directory, string command, CancellationToken cancellationToken)
    {
        await context.Error.WriteLineAsync($"mesh: building: {command}");
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", command])
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new CliException("build", $"cannot start /bin/sh for '{command}'");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            var tail = string.Join('\n', ((await output) + (await errors)).TrimEnd().Split('\n').TakeLast(10));
            throw new CliException("build", $"'{command}' exited with {process.ExitCode}:\n{tail}");
        }

        await context.Error.WriteLineAsync($"mesh: built in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
    }
}
