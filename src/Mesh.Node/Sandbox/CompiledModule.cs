using System.Collections.Frozen;
using Mesh.Contracts.Tokens;
using Wasmtime;

namespace Mesh.Node.Sandbox;

/// <summary>
/// A module compiled once for this node's engine, with its imports read once. Used by invocations
/// and held by the module cache, each through a reference: the native code is freed when the cache
/// has let it go and the last invocation using it has finished, not at some later collection.
/// </summary>
public sealed class CompiledModule : IDisposable
{
    private int _references = 1;

    public CompiledModule(Sha256Digest digest, Module module, int sizeBytes)
    {
        Digest = digest;
        Module = module;
        SizeBytes = sizeBytes;
        // The compiled image: what the module keeps in memory while it lives.
        MemoryBytes = module.Serialize().Length;
        Imports = module.Imports.Select(i => $"{i.ModuleName}.{i.Name}").ToFrozenSet(StringComparer.Ordinal);
        HasInitializer = module.Exports.Any(e => e.Name == Mesh.Contracts.HostCalls.GuestAbi.InitializeExport);
    }

    public Sha256Digest Digest { get; }

    public Module Module { get; }

    /// <summary>The module's bytes as deployed.</summary>
    public int SizeBytes { get; }

    /// <summary>What the compiled module occupies in memory (its serialized image), for the cache's bound.</summary>
    public long MemoryBytes { get; }

    /// <summary>Imports as <c>module.name</c>.</summary>
    public FrozenSet<string> Imports { get; }

    /// <summary>Whether the module exports an initialiser, so most invocations skip looking for one.</summary>
    public bool HasInitializer { get; }

    /// <summary>Takes a reference for one use; false once the module is freed (then compile it again).</summary>
    public bool TryAcquire()
    {
        var references = Volatile.Read(ref _references);
        while (references > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, references + 1, references);
            if (seen == references)
            {
                return true;
            }

            references = seen;
        }

        return false;
    }

    /// <summary>Gives a reference back; the last one frees the native code.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Module.Dispose();
        }
    }

    /// <summary>The cache letting go of its own reference.</summary>
    public void Dispose() => Release();
}
