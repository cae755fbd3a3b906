using System.Collections.Concurrent;
using System.Diagnostics;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Sandbox;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Node.Modules;

/// <summary>
/// Compiled modules by digest, bounded by the memory their compiled code takes
/// (<c>Mesh:Modules:CacheBytes</c>), least recently used out first. Concurrent first calls of a
/// module share one fetch and one compilation. A module is checked before it is compiled: its
/// size and the functions it defines are bounded, since compiling costs time and memory in
/// proportion. Failures are not cached, so a module deployed after a miss is found. What this
/// returns is a reference: give it back with <see cref="CompiledModule.Release"/>.
/// </summary>
public sealed class ModuleCache(ModuleStore store, WasmEngine engine, IOptions<NodeOptions> options, ILogger<ModuleCache> logger) : IDisposable
{
    private readonly ConcurrentDictionary<Sha256Digest, Entry> _modules = new();
    private readonly ModuleOptions _options = options.Value.Modules;
    private readonly Lock _evictLock = new();
    private long _bytes;
    private long _hits;
    private long _misses;

    public int Count => _modules.Count;

    /// <summary>Memory the cached modules' compiled code takes.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Lookups answered from the cache, and those that fetched and compiled (for metrics).</summary>
    public (long Hits, long Misses) Lookups => (Interlocked.Read(ref _hits), Interlocked.Read(ref _misses));

    /// <summary>At shutdown, after the last invocation: frees the modules so the engine can go.</summary>
    public void Dispose()
    {
        foreach (var digest in _modules.Keys)
        {
            Evict(digest);
        }
    }

    public ValueTask<Result<CompiledModule>> GetAsync(Sha256Digest digest, CancellationToken cancellationToken)
    {
        if (_modules.TryGetValue(digest, out var existing) && existing.IsLoaded
            && existing.Load.Result is { IsOk: true } compiled && compiled.Value.TryAcquire())
        {
            existing.Touch();
            Interlocked.Increment(ref _hits);
            return ValueTask.FromResult(compiled);
        }

        Interlocked.Increment(ref _misses);
        return new ValueTask<Result<CompiledModule>>(LoadAsync(digest, cancellationToken));
    }

    private async Task<Result<CompiledModule>> LoadAsync(Sha256Digest digest, CancellationToken cancellationToken)
    {
        while (true)
        {
            // GetOrAdd may build two entries for one digest when first calls race; only the one
            // stored is ever started (Lazy), so a module is compiled and counted once.
            var entry = _modules.GetOrAdd(digest, d => new Entry(() => FetchAndCompileAsync(d)));
            var result = await entry.Load.WaitAsync(cancellationToken);
            if (!result.IsOk)
            {
                _modules.TryRemove(new KeyValuePair<Sha256Digest, Entry>(digest, entry));
                return result;
            }

            if (result.Value.TryAcquire())
            {
                entry.Touch();
                return result;
            }

            // Evicted and freed between loading and use: drop the stale entry and load again.
            _modules.TryRemove(new KeyValuePair<Sha256Digest, Entry>(digest, entry));
        }
    }

    private async Task<Result<CompiledModule>> FetchAndCompileAsync(Sha256Digest digest)
    {
        var bytes = await store.FetchAsync(digest, CancellationToken.None);
        if (!bytes.IsOk)
        {
            return bytes.Error;
        }

        if (ModuleShape.DefinedFunctions(bytes.Value) is > 0 and var functions && functions > _options.MaxFunctions)
        {
            return Result<CompiledModule>.Fail(ErrorCode.ModuleInvalid, $"module {digest} defines {functions} functions, more than this node compiles ({_options.MaxFunctions}, Mesh:Modules:MaxFunctions)");
        }

        var stopwatch = Stopwatch.StartNew();
        var compiled = ModuleCompiler.Compile(engine, digest, bytes.Value);
        if (!compiled.IsOk)
        {
            return compiled;
        }

        Log.Compiled(logger, digest.ToString(), bytes.Value.Length, stopwatch.ElapsedMilliseconds);
        Interlocked.Add(ref _bytes, compiled.Value.MemoryBytes);
        EvictBeyondBound(keep: digest);
        return compiled;
    }

    // Least recently used first, until the compiled code fits the bound again. The module just
    // compiled stays even if it alone exceeds the bound: the call that asked for it runs.
    private void EvictBeyondBound(Sha256Digest keep)
    {
        if (Bytes <= _options.CacheBytes)
        {
            return;
        }

        lock (_evictLock)
        {
            // Only loaded modules: one still loading is counted once it is, and evicting its entry
            // now would leave it counted and held by nothing.
            var loaded = _modules.Where(m => !m.Key.Equals(keep) && m.Value.IsLoaded);
            foreach (var (digest, _) in loaded.OrderBy(m => m.Value.LastUsed).ToArray())
            {
                if (Bytes <= _options.CacheBytes)
                {
                    return;
                }

                Evict(digest);
            }
        }
    }

    private void Evict(Sha256Digest digest)
    {
        if (_modules.TryRemove(digest, out var entry) && entry.IsLoaded && entry.Load.Result is { IsOk: true } compiled)
        {
            Interlocked.Add(ref _bytes, -compiled.Value.MemoryBytes);
            compiled.Value.Dispose();
        }
    }

    private sealed class Entry(Func<Task<Result<CompiledModule>>> load)
    {
        private readonly Lazy<Task<Result<CompiledModule>>> _load = new(load);
        private long _lastUsed = Stopwatch.GetTimestamp();

        public Task<Result<CompiledModule>> Load => _load.Value;

        public bool IsLoaded => _load.IsValueCreated && _load.Value.IsCompletedSuccessfully;

        public long LastUsed => Volatile.Read(ref _lastUsed);

        public void Touch() => Volatile.Write(ref _lastUsed, Stopwatch.GetTimestamp());
    }
}
