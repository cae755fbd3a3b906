using System.Text.Json;
using Mesh.Cli.Manifest;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Triggers;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.Cli.Deployment;

/// <summary>
/// Writes an application's HTTP routes and schedules where gateways and nodes read them, and
/// removes those of the same application the manifest no longer declares; other applications'
/// are left alone. Public routes and schedules each get a token of their own, granting what the
/// function's token grants, for <see cref="AppManifest.TriggerTtl"/>: the only authority a gateway
/// or node holds, and only for what a manifest its operator signed declared.
/// </summary>
public sealed class TriggerDeployment(CliContext context)
{
    public async Task WriteAsync(AppManifest manifest, IReadOnlyList<DeployedFunction> deployed, INatsConnection nats, SigningKey? issuer, int? replicas, CancellationToken cancellationToken)
    {
        var kv = new NatsKVContext(new NatsJSContext(nats));
        var routed = deployed.Where(d => d.Spec.Route is not null).ToList();
        var scheduled = deployed.Where(d => d.Spec.Schedule is not null).ToList();
        if (issuer is null && (routed.Any(d => d.Spec.Route!.Public) || scheduled.Count > 0))
        {
            throw CliException.Usage("public routes and schedules carry tokens deploy signs: give --key (or MESH_KEY)");
        }

        var now = context.Time.GetUtcNow();
        var routes = await OpenAsync(kv, TriggerBuckets.Routes, routed.Count > 0, replicas, cancellationToken);
        if (routes is not null)
        {
            await CheckRoutesAsync(routes, manifest, routed, cancellationToken);
            var declared = routed.ToDictionary(d => TriggerBuckets.Key(manifest.Name, d.Spec.Name), d =>
            {
                var route = d.Spec.Route!;
                (string Text, long Expires)? token = route.Public ? Issue(manifest, d, issuer!, now) : null;
                return new RouteDeclaration
                {
                    App = manifest.Name, Function = d.Spec.Name, Method = route.Method, Path = route.Path, Public = route.Public, Cookies = route.Cookies, Active = route.Active, Idempotent = route.Idempotent,
                    Token = token?.Text, Expires = token?.Expires ?? 0L,
                };
            });
            await ReplaceAsync(routes, manifest.Name, declared, cancellationToken);
            foreach (var route in declared.Values)
            {
                var lets = (route.Cookies ? "; sets cookies" : "") + (route.Active ? "; its pages run in the gateway's origin" : "") + (route.Idempotent ? "; idempotent: retried when unanswered" : "");
                await context.Error.WriteLineAsync($"mesh: route {route.Method} {route.Path} -> {route.Function} ({(route.Public ? $"public: gateways present its route token until {DateTimeOffset.FromUnixTimeSeconds(route.Expires):u}" : "callers bring their token")}{lets})");
            }
        }

        var schedules = await OpenAsync(kv, TriggerBuckets.Schedules, scheduled.Count > 0, replicas, cancellationToken);
        if (schedules is not null)
        {
            if (scheduled.Count > 0)
            {
                await OpenAsync(kv, TriggerBuckets.Ticks, create: true, replicas, cancellationToken);
            }

            var declared = scheduled.ToDictionary(d => TriggerBuckets.Key(manifest.Name, d.Spec.Name), d =>
            {
                var token = Issue(manifest, d, issuer!, now);
                return new ScheduleDeclaration
                {
                    App = manifest.Name, Function = d.Spec.Name, Cron = d.Spec.Schedule!.Cron, Input = d.Spec.Schedule.Input,
                    Token = token.Text, Expires = token.Expires, Since = now.ToUnixTimeSeconds(),
                };
            });
            await ReplaceAsync(schedules, manifest.Name, declared, cancellationToken);
            foreach (var schedule in declared.Values)
            {
                var next = Client.Declarations.ScheduleClock.Parse(schedule.Cron, out _)!.Next(now);
                await context.Error.WriteLineAsync($"mesh: schedule {schedule.Function} '{schedule.Cron}' (next {next:u}, token until {DateTimeOffset.FromUnixTimeSeconds(schedule.Expires):u})");
            }
        }
    }

    private static (string Text, long Expires) Issue(AppManifest manifest, DeployedFunction function, SigningKey issuer, DateTimeOffset now)
    {
        var issued = now.ToUnixTimeSeconds();
        var expires = issued + (long)manifest.TriggerTtl.TotalSeconds;
        var token = CliException.Unwrap(TokenIssuer.Issue(issuer, new BlockClaims
        {
            TokenId = TokenIssuer.NewTokenId(),
            IssuedAt = issued,
            NotBefore = issued,
            Expires = expires,
            MaxDepth = manifest.MaxDepth,
            Audience = function.Spec.Name,
            Functions = [.. function.Grants],
        }));
        return (TokenCodec.ToText(token), expires);
    }

    // The bucket, created when something is to be written to it; null when it does not exist and nothing is.
    private static async Task<INatsKVStore?> OpenAsync(NatsKVContext kv, string bucket, bool create, int? replicas, CancellationToken cancellationToken) =>
        await DeclarationBucket.OpenAsync(kv, bucket, cancellationToken)
        ?? (create ? await kv.CreateOrUpdateStoreAsync(new NatsKVConfig(bucket) { History = 1, NumberOfReplicas = replicas ?? 1 }, cancellationToken) : null);

    // Another application's route with the same method and path would make two functions answer it.
    private static async Task CheckRoutesAsync(INatsKVStore routes, AppManifest manifest, List<DeployedFunction> routed, CancellationToken cancellationToken)
    {
        foreach (var key in await DeclarationBucket.KeysAsync(routes, cancellationToken))
        {
            if (key.StartsWith(manifest.Name + ".", StringComparison.Ordinal)
                || await DeclarationBucket.GetAsync<RouteDeclaration>(routes, key, cancellationToken) is not { } other)
            {
                continue;
            }

            if (routed.FirstOrDefault(d => d.Spec.Route!.Method == other.Method && d.Spec.Route.Path == other.Path) is { } clash)
            {
                throw new CliException("manifest", $"route {other.Method} {other.Path} of {clash.Spec.Name} is already {other.App}.{other.Function}'s (deploy that application without it first)");
            }
        }
    }

    private static async Task ReplaceAsync<T>(INatsKVStore store, string app, Dictionary<string, T> declared, CancellationToken cancellationToken)
    {
        foreach (var (key, value) in declared)
        {
            await store.PutAsync(key, JsonSerializer.SerializeToUtf8Bytes(value), cancellationToken: cancellationToken);
        }

        foreach (var key in await DeclarationBucket.KeysAsync(store, cancellationToken))
        {
            if (key.StartsWith(app + ".", StringComparison.Ordinal) && !declared.ContainsKey(key))
            {
                await store.DeleteAsync(key, cancellationToken: cancellationToken);
            }
        }
    }
}
