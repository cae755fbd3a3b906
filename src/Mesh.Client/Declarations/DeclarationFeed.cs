using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Mesh.Client.Declarations;

/// <summary>
/// What an operator declared in one key-value bucket (routes, schedules), kept current: a watch
/// from the start, and a fresh read every <c>resync</c> so that nothing missed (a bucket deleted
/// and made again, a watch that quietly stalled) outlives it. Until the bucket exists the feed is
/// empty and says so once. Values that are not the JSON of <typeparamref name="T"/> are skipped and logged.
/// </summary>
public sealed class DeclarationFeed<T>(INatsConnection nats, string bucket, ILogger logger, TimeSpan resync, TimeProvider time)
    where T : class
{
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(2);

    private static readonly Action<ILogger, string, Exception?> Missing =
        LoggerMessage.Define<string>(LogLevel.Information, new EventId(1, "DeclarationsMissing"), "No {Bucket} bucket yet (mesh deploy makes it): nothing is declared");

    private static readonly Action<ILogger, string, string, Exception?> ReadFailed =
        LoggerMessage.Define<string, string>(LogLevel.Warning, new EventId(2, "DeclarationsReadFailed"), "Reading {Bucket} failed, keeping what was read: {Message}");

    private static readonly Action<ILogger, string, string, string, Exception?> NotADeclaration =
        LoggerMessage.Define<string, string, string>(LogLevel.Warning, new EventId(3, "NotADeclaration"), "{Bucket} {Key} is not a declaration, skipped: {Message}");
    private readonly TaskCompletionSource _read = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _saidMissing;

    /// <summary>The declarations by key, as last read; replaced whole, never changed in place.</summary>
    public ImmutableDictionary<string, T> Current { get; private set; } = ImmutableDictionary<string, T>.Empty;

    /// <summary>Completes once the bucket has been read to its end (or found missing) the first time.</summary>
    public Task FirstRead => _read.Task;

    /// <summary>Raised after the first read and whenever <see cref="Current"/> changed.</summary>
    public event Action<ImmutableDictionary<string, T>>? Changed;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var kv = new NatsKVContext(new NatsJSContext(nats));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ReadAsync(kv, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (NatsJSApiException e) when (e.Error.Code == 404)
            {
                if (!_saidMissing)
                {
                    _saidMissing = true;
                    Missing(logger, bucket, null);
                }

                Publish(ImmutableDictionary<string, T>.Empty);
                _read.TrySetResult();
            }
            catch (Exception e) when (e is NatsException or InvalidOperationException or TimeoutException or OperationCanceledException)
            {
                ReadFailed(logger, bucket, e.Message, null);
            }

            await Task.Delay(Retry, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task ReadAsync(NatsKVContext kv, CancellationToken stoppingToken)
    {
        using var generation = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using (var opening = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
        {
            opening.CancelAfter(TimeSpan.FromSeconds(5));
            var store = await kv.GetStoreAsync(bucket, opening.Token);
            _saidMissing = false;
            generation.CancelAfter(resync);
            var building = ImmutableDictionary.CreateBuilder<string, T>(StringComparer.Ordinal);
            var reading = true;
            var opts = new NatsKVWatchOpts
            {
                OnNoData = _ =>
                {
                    // An empty bucket: the whole of it has been read.
                    if (reading)
                    {
                        reading = false;
                        Publish(building.ToImmutable());
                    }

                    return ValueTask.FromResult(false);
                },
            };
            try
            {
                await foreach (var entry in store.WatchAsync<byte[]>(opts: opts, cancellationToken: generation.Token))
                {
                    var value = entry.Operation == NatsKVOperation.Put ? Parse(entry.Key, entry.Value) : null;
                    if (reading)
                    {
                        Apply(building, entry.Key, value);
                        if (entry.Delta == 0)
                        {
                            reading = false;
                            Publish(building.ToImmutable());
                        }
                    }
                    else
                    {
                        var next = Current.ToBuilder();
                        Apply(next, entry.Key, value);
                        Publish(next.ToImmutable());
                    }
                }
            }
            catch (OperationCanceledException) when (generation.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
            {
                // Time for a fresh read.
            }
        }
    }

    private static void Apply(ImmutableDictionary<string, T>.Builder declarations, string key, T? value)
    {
        if (value is null)
        {
            declarations.Remove(key);
        }
        else
        {
            declarations[key] = value;
        }
    }

    private T? Parse(string key, byte[]? bytes)
    {
        try
        {
            return bytes is null ? null : JsonSerializer.Deserialize<T>(bytes);
        }
        catch (JsonException e)
        {
            NotADeclaration(logger, bucket, key, e.Message, null);
            return null;
        }
    }

    private void Publish(ImmutableDictionary<string, T> declarations)
    {
        // The first read is always told, even of nothing: a gateway says at start which route tokens it holds.
        var changed = !_read.Task.IsCompleted || !declarations.SequenceEqual(Current);
        Current = declarations;
        _read.TrySetResult();
        if (changed)
        {
            Changed?.Invoke(declarations);
        }
    }
}
