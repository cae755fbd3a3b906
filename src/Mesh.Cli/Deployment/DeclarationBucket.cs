using System.Text.Json;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.Cli.Deployment;

/// <summary>Reading a bucket of declarations (routes, schedules) from the CLI: open it if it exists, its keys, its JSON values.</summary>
public static class DeclarationBucket
{
    /// <summary>The bucket, or null when it does not exist.</summary>
    public static async Task<INatsKVStore?> OpenAsync(NatsKVContext kv, string bucket, CancellationToken cancellationToken)
    {
        try
        {
            return await kv.GetStoreAsync(bucket, cancellationToken);
        }
        catch (Exception e) when (e is NatsKVException or NatsJSApiException { Error.Code: 404 })
        {
            return null;
        }
    }

    /// <summary>Its keys now, read whole before any is used (an empty bucket has none).</summary>
    public static async Task<List<string>> KeysAsync(INatsKVStore store, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        try
        {
            await foreach (var key in store.GetKeysAsync(cancellationToken: cancellationToken))
            {
                keys.Add(key);
            }
        }
        catch (NatsKVException)
        {
            // An empty bucket: no keys.
        }

        return keys;
    }

    /// <summary>The declaration under <paramref name="key"/>; null when it is gone or is not one.</summary>
    public static async Task<T?> GetAsync<T>(INatsKVStore store, string key, CancellationToken cancellationToken)
        where T : class
    {
        var entry = await store.TryGetEntryAsync<byte[]>(key, cancellationToken: cancellationToken);
        try
        {
            return entry.Success && entry.Value.Value is { } bytes ? JsonSerializer.Deserialize<T>(bytes) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
