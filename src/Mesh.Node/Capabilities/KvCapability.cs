using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using MessagePack;
using Mesh.Contracts.HostCalls;
using Mesh.Contracts.Tokens.Rules;
using Mesh.Node.Messaging;
using Mesh.Node.Sandbox;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.Node.Capabilities;

/// <summary>
/// <c>mesh.kv_*</c>: NATS key-value buckets. An operation is allowed only if a rule of every block
/// names the bucket, covers the key's prefix and allows the operation. Keys must be valid NATS keys
/// as given (no wildcards, no empty segments): nothing is normalised, so nothing escapes a prefix.
/// Buckets are not created here; a bucket the operator has not made is unavailable.
/// </summary>
public sealed class KvCapability(INatsConnection nats, NodeStats stats, IOptions<NodeOptions> options, ILogger<KvCapability> logger) : ICapability
{
    public IReadOnlyList<HostCall> HostCalls =>
    [
        Call(GuestAbi.KvGet, ["bucket_ptr", "bucket_len", "key_ptr", "key_len"], "n", call =>
            call.TrySpan(0, out var bucket) && call.TrySpan(2, out var key) ? Get(call.Context, bucket, key) : HostStatus.OutOfBounds),
        Call(GuestAbi.KvPut, ["bucket_ptr", "bucket_len", "key_ptr", "key_len", "value_ptr", "value_len"], "status", call =>
            call.TrySpan(0, out var bucket) && call.TrySpan(2, out var key) && call.TrySpan(4, out var value) ? Put(call.Context, bucket, key, value) : HostStatus.OutOfBounds),
        Call(GuestAbi.KvUpdate, ["bucket_ptr", "bucket_len", "key_ptr", "key_len", "value_ptr", "value_len", "revision: i64"], "status", call =>
            call.TrySpan(0, out var bucket) && call.TrySpan(2, out var key) && call.TrySpan(4, out var value)
                ? Update(call.Context, bucket, key, value, call.I64(6))
                : HostStatus.OutOfBounds),
        Call(GuestAbi.KvRevision, [], "i64", static call => call.Context.LastKvRevision),
        Call(GuestAbi.KvDelete, ["bucket_ptr", "bucket_len", "key_ptr", "key_len"], "status", call =>
            call.TrySpan(0, out var bucket) && call.TrySpan(2, out var key) ? Delete(call.Context, bucket, key) : HostStatus.OutOfBounds),
        Call(GuestAbi.KvKeys, ["bucket_ptr", "bucket_len", "prefix_ptr", "prefix_len"], "n", call =>
            call.TrySpan(0, out var bucket) && call.TrySpan(2, out var prefix) ? Keys(call.Context, bucket, prefix) : HostStatus.OutOfBounds),
    ];

    // Every key-value call needs a key-value rule to be imported; each operation is checked again per call.
    private static HostCall Call(string name, string[] parameters, string returns, HostCallBody body) =>
        new(name, parameters, returns, body) { Needs = "key-value", Allowed = static grant => grant.MayUseKv };

    private const int MaxKeysListed = 1000;
    private readonly NatsKVContext _kv = new(new NatsJSContext(nats));
    private readonly ConcurrentDictionary<string, INatsKVStore> _stores = new(StringComparer.Ordinal);
    private readonly int _maxValue = options.Value.Ceilings.MessageBytes;

    public int Get(InvocationContext context, ReadOnlySpan<byte> bucketBytes, ReadOnlySpan<byte> keyBytes)
    {
        var status = Check(context, KvOperations.Get, bucketBytes, keyBytes, out var bucket, out var key);
        return status != HostStatus.Ok ? status : Run(context, bucket, async (store, ct) =>
        {
            try
            {
                var entry = await store.GetEntryAsync<byte[]>(key, cancellationToken: ct);
                context.LastKvRevision = (long)entry.Revision;
                return context.SetResult(entry.Value ?? []);
            }
            catch (NatsKVKeyNotFoundException)
            {
                context.LastKvRevision = 0;
                return HostStatus.NotFound;
            }
            catch (NatsKVKeyDeletedException)
            {
                context.LastKvRevision = 0;
                return HostStatus.NotFound;
            }
        });
    }

    public int Put(InvocationContext context, ReadOnlySpan<byte> bucketBytes, ReadOnlySpan<byte> keyBytes, ReadOnlySpan<byte> value)
    {
        var status = Check(context, KvOperations.Put, bucketBytes, keyBytes, out var bucket, out var key);
        if (status != HostStatus.Ok)
        {
            return status;
        }

        if (value.Length > _maxValue)
        {
            return HostStatus.LimitExceeded;
        }

        var bytes = value.ToArray();
        return Run(context, bucket, async (store, ct) =>
        {
            await store.PutAsync(key, bytes, cancellationToken: ct);
            return HostStatus.Ok;
        });
    }

    /// <summary>Compare-and-set: writes only if the key is still at <paramref name="revision"/> (0: absent).</summary>
    public int Update(InvocationContext context, ReadOnlySpan<byte> bucketBytes, ReadOnlySpan<byte> keyBytes, ReadOnlySpan<byte> value, long revision)
    {
        var status = Check(context, KvOperations.Put, bucketBytes, keyBytes, out var bucket, out var key);
        if (status != HostStatus.Ok)
        {
            return status;
        }

        if (value.Length > _maxValue)
        {
            return HostStatus.LimitExceeded;
        }

        if (revision < 0)
        {
            return HostStatus.Invalid;
        }

        var bytes = value.ToArray();
        return Run(context, bucket, async (store, ct) =>
        {
            try
            {
                if (revision == 0)
                {
                    await store.CreateAsync(key, bytes, cancellationToken: ct);
                }
                else
                {
                    await store.UpdateAsync(key, bytes, (ulong)revision, cancellationToken: ct);
                }

                return HostStatus.Ok;
            }
            catch (NatsKVWrongLastRevisionException)
            {
                return HostStatus.Conflict;
            }
            catch (NatsKVCreateException)
            {
                return HostStatus.Conflict;
            }
        });
    }

    public int Delete(InvocationContext context, ReadOnlySpan<byte> bucketBytes, ReadOnlySpan<byte> keyBytes)
    {
        var status = Check(context, KvOperations.Delete, bucketBytes, keyBytes, out var bucket, out var key);
        return status != HostStatus.Ok ? status : Run(context, bucket, async (store, ct) =>
        {
            await store.DeleteAsync(key, cancellationToken: ct);
            return HostStatus.Ok;
        });
    }

    public int Keys(InvocationContext context, ReadOnlySpan<byte> bucketBytes, ReadOnlySpan<byte> prefixBytes)
    {
        var bucket = Encoding.UTF8.GetString(bucketBytes);
        var prefix = Encoding.UTF8.GetString(prefixBytes);
        if (!context.Grant.AllowsKvList(bucket, prefix))
        {
            return Refuse(context, "kv.list", $"{bucket}/{prefix}*", "no list rule of the token covers that bucket and prefix");
        }

        return Run(context, bucket, async (store, ct) =>
        {
            var keys = new List<string>();
            await foreach (var key in store.GetKeysAsync(cancellationToken: ct))
            {
                if (key.StartsWith(prefix, StringComparison.Ordinal) && keys.Count < MaxKeysListed)
                {
                    keys.Add(key);
                }
            }

            var buffer = new ArrayBufferWriter<byte>();
            var writer = new MessagePackWriter(buffer);
            writer.WriteArrayHeader(keys.Count);
            foreach (var key in keys)
            {
                writer.Write(key);
            }

            writer.Flush();
            return context.SetResult(buffer.WrittenSpan.ToArray());
        });
    }

    private int Check(InvocationContext context, KvOperations operation, ReadOnlySpan<byte> bucketBytes, ReadOnlySpan<byte> keyBytes, out string bucket, out string key)
    {
        bucket = Encoding.UTF8.GetString(bucketBytes);
        key = Encoding.UTF8.GetString(keyBytes);
        if (!KvRule.IsValidKey(key))
        {
            return HostStatus.Invalid;
        }

        var name = $"kv.{operation.ToString().ToLowerInvariant()}";
        return context.Grant.AllowsKv(bucket, key, operation)
            ? HostStatus.Ok
            : Refuse(context, name, $"{bucket}/{key}", $"no key-value rule of the token allows {operation.ToString().ToLowerInvariant()} there");
    }

    private int Refuse(InvocationContext context, string capability, string target, string reason)
    {
        Refusal.Record(context, stats, logger, capability, target, reason);
        return HostStatus.Denied;
    }

    // Host calls are synchronous (the node runs Wasmtime without its async support), so the store's async calls are waited on
    // here, never past the invocation's deadline (a NATS outage included).
    private int Run(InvocationContext context, string bucket, Func<INatsKVStore, CancellationToken, ValueTask<int>> operation)
    {
        try
        {
            return RunAsync(bucket, operation, context.Deadline).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            return HostStatus.Timeout;
        }
        catch (Exception e) when (e is NatsException or NatsKVException or NatsJSException)
        {
            return context.Deadline.IsCancellationRequested ? HostStatus.Timeout : HostStatus.Unavailable;
        }
    }

    private async Task<int> RunAsync(string bucket, Func<INatsKVStore, CancellationToken, ValueTask<int>> operation, CancellationToken cancellationToken)
    {
        if (!_stores.TryGetValue(bucket, out var store))
        {
            store = await _kv.GetStoreAsync(bucket, cancellationToken);
            _stores[bucket] = store;
        }

        return await operation(store, cancellationToken);
    }
}
