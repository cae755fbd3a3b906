using System.Collections.Concurrent;
using System.Diagnostics;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Sandbox;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Node.Modules;

/// <summary>
/// Compiled modules by digest, bounded in count. Concurrent first calls of a module share one
/// fetch and one compilation. Failures are not cached, so a module deployed after a miss is found.
/// </summary>
public sealed class ModuleCache(ModuleStore store, WasmEngine engine, IOptions<NodeOptions> options, ILogger<ModuleCache> logger) : IDisposable
{
    private readonly ConcurrentDictionary<Sha256Digest, Lazy<Task<Result<CompiledModule>>>> _modules = new();
    private readonly int _capacity = options.Value.Modules.CacheCapacity;

    public int Count => _modules.Count;

    /// <summary>At shutdown, after the last invocation: frees the modules so the engine can go.</summary>
    public void Dispose()
    {
        foreach (var entry in _modules.Values)
        {
            if (entry.IsValueCreated && entry.Value.IsCompletedSuccessfully && entry.Value.Result.IsOk)
            {
                entry.Value.Result.Value.Dispose();
            }
        }

        _modules.Clear();
    }

    private long _hits;
    private long _misses;

    /// <summary>Lookups answered from the cache, and those that fetched and compiled (for metrics).</summary>
    public (long Hits, long Misses) Lookups => (Interlocked.Read(ref _hits), Interlocked.Read(ref _misses));

    public ValueTask<Result<CompiledModule>> GetAsync(Sha256Digest digest, CancellationToken cancellationToken)
    {
        if (_modules.TryGetValue(digest, out var existing) && existing.IsValueCreated && existing.Value.IsCompletedSuccessfully)
        {
            Interlocked.Increment(ref _hits);
            return ValueTask.FromResult(existing.Value.Result);
        }

        Interlocked.Increment(ref _misses);
        return new ValueTask<Result<CompiledModule>>(LoadAsync(digest, cancellationToken));
    }

    private async Task<Result<CompiledModule>> LoadAsync(Sha256Digest digest, CancellationToken cancellationToken)
    {
        if (_modules.Count >= _capacity)
        {
            // Evicted modules are not disposed: an invocation may still hold one; the finalizer frees it.
            foreach (var key in _modules.Keys.Take(Math.Max(1, _capacity / 10)))
            {
                _modules.TryRemove(key, out _);
            }
        }

        var lazy = _modules.GetOrAdd(digest, d => new Lazy<Task<Result<CompiledModule>>>(() => FetchAndCompileAsync(d, CancellationToken.None)));
        var result = await lazy.Value.WaitAsync(cancellationToken);
        if (!result.IsOk)
        {
            _modules.TryRemove(new KeyValuePair<Sha256Digest, Lazy<Task<Result<CompiledModule>>>>(digest, lazy));
        }

        return result;
    }

    private async Task<Result<CompiledModule>> FetchAndCompileAsync(Sha256Digest digest, CancellationToken cancellationToken)
    {
        var bytes = await store.FetchAsync(digest, cancellationToken);
        if (!bytes.IsOk)
        {
            return bytes.Error;
        }

        var stopwatch = Stopwatch.StartNew();
        var compiled = ModuleCompiler.Compile(engine, digest, bytes.Value);
        if (compiled.IsOk)
        {
            Log.Compiled(logger, digest.ToString(), bytes.Value.Length, stopwatch.ElapsedMilliseconds);
        }

        return compiled;
    }
}
