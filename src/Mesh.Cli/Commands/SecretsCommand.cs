using System.CommandLine;
using System.Globalization;
using Mesh.Cli.Deployment;
using Mesh.Cli.Output;
using Mesh.Cli.Parsing;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Secrets;
using Mesh.Contracts.Tokens.Rules;
using Mesh.Node;
using Mesh.Node.Revocation;
using Mesh.Node.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>mesh secrets init|serve</c> (the service that alone can open secrets) and
/// <c>mesh secret put|ls|rm</c> (an operator's: a value is sealed here, on the operator's machine,
/// to the service's public key, so NATS only ever holds ciphertext).
/// </summary>
public static class SecretsCommand
{
    /// <summary>The environment variable that names the service's public key for <c>mesh secret put</c>.</summary>
    public const string PublicKeyVariable = "MESH_SECRETS_KEY";

    public static Command Service(CliContext context) => new("secrets", "The secrets service: the one place secrets can be opened")
    {
        Init(context), Serve(context),
    };

    public static Command Secret(CliContext context) => new("secret", "Secrets functions use but never see: sealed here, stored in NATS, released to nodes only for tokens that bind them")
    {
        Put(context), List(context), Remove(context),
    };

    private static Command Init(CliContext context)
    {
        var output = new Option<string>("--out") { Description = "Where to write the service's sealing key (SX...; mode 0600)", Required = true };
        var command = new Command("init", "Make the secrets service's sealing key; prints its public key (X...) for mesh secret put --to") { output };
        command.SetAction(async result =>
        {
            using var key = SealingKey.Generate();
            SecretFile.Write(result.GetValue(output)!, key.ExportSeedText(), replace: false);
            await context.Out.WriteLineAsync(key.PublicKeyText);
            return 0;
        });
        return command;
    }

    private static Command Serve(CliContext context)
    {
        var key = new Option<string>("--key") { Description = "The sealing key file (mesh secrets init)", Required = true };
        var trust = new Option<string[]>("--trust") { Description = "A trusted issuer public key (O...). Repeatable; also Mesh__Tokens__TrustedRoots__N", Required = true };
        var nats = new HostNatsOption(context);
        var command = new Command("serve", "Release secrets to nodes, for tokens that bind them, sealed to each request's one-time key") { key, trust, nats.Option };
        command.SetAction(async (result, cancellationToken) =>
        {
            var overrides = nats.Overrides(result).Append(new("Mesh:Secrets:KeyFile", result.GetValue(key))).ToList();

            overrides.AddRange((result.GetValue(trust) ?? []).Select((k, i) => new KeyValuePair<string, string?>($"Mesh:Tokens:TrustedRoots:{i}", k)));
            overrides.Add(new("Mesh:Nats:Name", "mesh-secrets"));
            using var host = SecretsHost.Build(overrides);
            try
            {
                var options = host.Services.GetRequiredService<IOptions<NodeOptions>>().Value;
                using var _ = SecretsHost.Key(options.Secrets, out var problem) ?? throw CliException.Usage(problem);
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

    private static Command Put(CliContext context)
    {
        var name = new Argument<string>("NAME") { Description = "The secret's name, as grants bind it ('stripe')" };
        var fromFile = new Option<string?>("--from-file") { Description = "Read the value from this file (one trailing newline is dropped)" };
        var fromEnv = new Option<string?>("--from-env") { Description = "Read the value from this environment variable" };
        var to = new Option<string?>("--to") { Description = $"The secrets service's public key (X...; default ${PublicKeyVariable})" };
        var nats = new NatsOption(context);
        var command = new Command("put", "Seal a secret to the secrets service's key and store it (NATS never sees the value)") { name, fromFile, fromEnv, to };
        nats.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var secret = Name(result.GetValue(name)!);
            var value = Value(context, result.GetValue(fromFile), result.GetValue(fromEnv));
            var recipient = result.GetValue(to) ?? context.Variables(PublicKeyVariable)
                ?? throw CliException.Usage($"give the secrets service's public key: --to X... or ${PublicKeyVariable} (mesh secrets init printed it)");
            if (!KeyText.TryDecodeCurvePublic(recipient, out var raw, out var error))
            {
                throw CliException.Usage($"--to: {error}");
            }

            var sealedValue = SealedBox.Seal(value, raw, SecretRelease.AtRest(secret));
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(value);
            await using var connection = await nats.ConnectAsync(result, cancellationToken);
            var kv = new NatsKVContext(new NatsJSContext(connection));
            var store = await DeclarationBucket.OpenAsync(kv, SecretRelease.Bucket, cancellationToken)
                ?? await kv.CreateStoreAsync(new NatsKVConfig(SecretRelease.Bucket) { History = 1 }, cancellationToken);
            var revision = await store.PutAsync(secret, sealedValue, cancellationToken: cancellationToken);
            await ForgetEverywhereAsync(connection, secret, "put", context, cancellationToken);
            await context.Error.WriteLineAsync($"mesh: secret {secret} sealed to {recipient[..8]}... and stored (revision {revision.ToString(CultureInfo.InvariantCulture)}); no node uses an earlier value from now");
            return 0;
        });
        return command;
    }

    private sealed record SecretRow(string Name, int SealedBytes, DateTimeOffset Stored);

    private static Command List(CliContext context)
    {
        var nats = new NatsOption(context);
        var output = new OutputOption();
        var command = new Command("ls", "List stored secrets: names, sizes and when stored (never values)");
        nats.AddTo(command);
        output.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            await using var connection = await nats.ConnectAsync(result, cancellationToken);
            var rows = new List<SecretRow>();
            if (await DeclarationBucket.OpenAsync(new NatsKVContext(new NatsJSContext(connection)), SecretRelease.Bucket, cancellationToken) is { } store)
            {
                foreach (var key in await DeclarationBucket.KeysAsync(store, cancellationToken))
                {
                    var entry = await store.TryGetEntryAsync<byte[]>(key, cancellationToken: cancellationToken);
                    if (entry.Success)
                    {
                        rows.Add(new SecretRow(key, entry.Value.Value?.Length ?? 0, entry.Value.Created));
                    }
                }
            }

            rows.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            await output.WriteAsync(result, context.Out, rows, ["NAME", "SEALED BYTES", "STORED"], r =>
                [r.Name, r.SealedBytes.ToString(CultureInfo.InvariantCulture), r.Stored.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)]);
            return 0;
        });
        return command;
    }

    private static Command Remove(CliContext context)
    {
        var name = new Argument<string>("NAME") { Description = "The secret to remove" };
        var nats = new NatsOption(context);
        var command = new Command("rm", "Remove a stored secret: when this returns, no node uses it") { name };
        nats.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var secret = Name(result.GetValue(name)!);
            await using var connection = await nats.ConnectAsync(result, cancellationToken);
            var store = await DeclarationBucket.OpenAsync(new NatsKVContext(new NatsJSContext(connection)), SecretRelease.Bucket, cancellationToken);
            if (store is null || !(await store.TryGetEntryAsync<byte[]>(secret, cancellationToken: cancellationToken)).Success)
            {
                throw new CliException("secret.not_found", $"no secret '{secret}'");
            }

            await store.PurgeAsync(secret, cancellationToken: cancellationToken);
            await ForgetEverywhereAsync(connection, secret, "rm", context, cancellationToken);
            await context.Error.WriteLineAsync($"mesh: secret {secret} removed; no node uses it from now");
            return 0;
        });
        return command;
    }

    // After the secret changed (never before: a node that dropped its copy first could fetch the
    // old value again), secret.NAME in the revocation bucket tells every node to drop what it
    // keeps. A node uses a kept value only while it knows that bucket up to MaxStaleness ago, so
    // once that long has passed since the bucket took the entry, no node uses the old value.
    private static async Task ForgetEverywhereAsync(NATS.Client.Core.INatsConnection connection, string secret, string change, CliContext context, CancellationToken cancellationToken)
    {
        var note = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["change"] = change, ["at"] = context.Time.GetUtcNow().ToString("O") });
        await JetStreamWrite.UntilStoredAsync(TimeSpan.FromSeconds(30), async ct =>
        {
            var revocations = await MeshDeclaration.RevocationBucketAsync(new NatsJSContext(connection), RevocationKeys.DefaultBucket, replicas: null, context.Error, ct);
            await revocations.PutAsync(RevocationKeys.Secret(secret), note, cancellationToken: ct);
        }, cancellationToken);
        await Task.Delay(RevocationPromise.CommandWait, context.Time, cancellationToken);
    }

    private static string Name(string name) =>
        SecretBinding.IsValidName(name) ? name : throw CliException.Usage($"'{name}' is not a secret name (1 to {SecretBinding.MaxName} letters, digits, '-', '_' or '.')");

    private static byte[] Value(CliContext context, string? file, string? variable)
    {
        if ((file is null) == (variable is null))
        {
            throw CliException.Usage("give the value with one of --from-file F or --from-env VAR (never on the command line, where shell history and ps would keep it)");
        }

        string text;
        if (file is not null)
        {
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException("io", $"cannot read '{file}': {e.Message}");
            }

            text = text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2] : text.EndsWith('\n') ? text[..^1] : text;
        }
        else
        {
            text = context.Variables(variable!) ?? throw CliException.Usage($"--from-env: ${variable} is not set");
        }

        if (text.Length == 0 || text.Any(c => c != '\t' && (c < 0x20 || c >= 0x7F)))
        {
            throw CliException.Usage("a secret's value must be non-empty printable ASCII: it is sent as a header");
        }

        var bytes = System.Text.Encoding.ASCII.GetBytes(text);
        return bytes.Length <= SealedBox.MaxPlaintext ? bytes : throw CliException.Usage($"a secret is at most {SealedBox.MaxPlaintext} bytes");
    }
}
