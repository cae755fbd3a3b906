using System.CommandLine;
using System.Text.Json;
using Mesh.Cli.Deployment;
using Mesh.Cli.Parsing;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using Mesh.Node.Revocation;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>mesh token revoke</c>: writes a revocation every node watches. A token (given whole, or by its
/// id) stops working everywhere, hops included; <c>--issuer</c> stops everything a key signed;
/// <c>--lift</c> takes a revocation back. The command returns once no node can start a call with
/// what it revoked (<see cref="RevocationPromise"/>).
/// </summary>
public static class RevokeCommand
{
    public static Command Build(CliContext context)
    {
        var token = new Argument<string?>("TOKEN") { Description = "The token to revoke: its text, @FILE, or -", Arity = ArgumentArity.ZeroOrOne };
        var id = new Option<string?>("--id") { Description = "Revoke by token id (32 hex digits, as mesh token inspect shows it)" };
        var issuer = new Option<string?>("--issuer") { Description = "Revoke everything an issuer signed (its public key, O...)" };
        var reason = new Option<string?>("--reason") { Description = "A note for people: who and why" };
        var lift = new Option<bool>("--lift") { Description = "Take the revocation back" };
        var nats = new NatsOption(context);
        var bucket = new Option<string>("--bucket") { Description = "The revocation bucket nodes watch", DefaultValueFactory = _ => RevocationKeys.DefaultBucket };
        var replicas = new Option<int?>("--replicas") { Description = "Only if the bucket does not exist yet: the copies JetStream keeps of it (default 1)" };
        var timeout = new Option<string>("--timeout")
        {
            Description = "How long to keep trying to store it while JetStream does not answer (a cluster electing the bucket's leader)",
            DefaultValueFactory = _ => "30s",
        };
        var command = new Command("revoke", "Revoke a token, a token id or an issuer: when this returns, no node starts a call with it") { token, id, issuer, reason, lift, bucket, replicas, timeout };
        nats.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var key = Key(result.GetValue(token), result.GetValue(id), result.GetValue(issuer), context);
            var deadline = Units.Duration(result.GetValue(timeout)!, "--timeout");
            await using var connection = await nats.ConnectAsync(result, cancellationToken);
            StreamReplicas.RequireCluster(connection, result.GetValue(replicas));
            var note = JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["revokedAt"] = context.Time.GetUtcNow().ToString("O"),
                ["reason"] = result.GetValue(reason),
            });

            // Stored, or tried until the deadline: a revocation that failed once is one a person
            // believes made. Writing the same key again is harmless.
            await JetStreamWrite.UntilStoredAsync(deadline, async ct =>
            {
                // Opened as it is: the bucket keeps the replicas it was deployed with. Created only if missing.
                var store = await MeshDeclaration.RevocationBucketAsync(
                    new NatsJSContext(connection), result.GetValue(bucket)!, DeployCommand.Replicas(result.GetValue(replicas)), context.Error, ct);
                if (result.GetValue(lift))
                {
                    await store.DeleteAsync(key, cancellationToken: ct);
                }
                else
                {
                    await store.PutAsync(key, note, cancellationToken: ct);
                }
            }, cancellationToken);

            if (result.GetValue(lift))
            {
                await context.Out.WriteLineAsync($"lifted {key}");
                return 0;
            }

            // Every node starts a call only while it knows all revocations up to MaxStaleness ago:
            // once that long has passed since the bucket took this one, none starts a call with it.
            await Task.Delay(RevocationPromise.CommandWait, context.Time, cancellationToken);
            await context.Out.WriteLineAsync($"revoked {key}");
            return 0;
        });
        return command;
    }

    private static string Key(string? token, string? id, string? issuer, CliContext context)
    {
        if (new[] { token, id, issuer }.Count(v => v is not null) != 1)
        {
            throw CliException.Usage("give exactly one of TOKEN, --id or --issuer");
        }

        if (issuer is not null)
        {
            return KeyText.TryDecodePublic(issuer, out _, out var error)
                ? RevocationKeys.Issuer(issuer)
                : throw CliException.Usage($"--issuer: {error}");
        }

        if (id is not null)
        {
            return id.Length == BlockClaims.TokenIdLength * 2 && id.All(Uri.IsHexDigit)
                ? RevocationKeys.Token(id.ToLowerInvariant())
                : throw CliException.Usage($"--id must be {BlockClaims.TokenIdLength * 2} hex digits");
        }

        // The token's own id, read without trusting it: revoking what a token claims to be is safe.
        var envelope = CliException.Unwrap(TokenCodec.Decode(TokenArgument.Read(token!, context)));
        var root = CliException.Unwrap(TokenCodec.DecodeClaims(envelope.Blocks[0].Payload));
        return root.TokenId.IsDefault
            ? throw new CliException("token.malformed", "the token's root block has no id")
            : RevocationKeys.Token(Convert.ToHexStringLower(root.TokenId.AsSpan()));
    }
}
