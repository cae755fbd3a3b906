using System.Collections.Frozen;
using Mesh.Contracts.Tokens;
using Wasmtime;

namespace Mesh.Node.Sandbox;

/// <summary>
/// A module compiled once for this node's engine, with its imports read once. Disposing it lets the
/// engine's memory go: an engine stays mapped while any of its modules lives.
/// </summary>
public sealed class CompiledModule(Sha256Digest digest, Module module, int sizeBytes) : IDisposable
{
    public Sha256Digest Digest { get; } = digest;

    public Module Module { get; } = module;

    public int SizeBytes { get; } = sizeBytes;

    /// <summary>Imports as <c>module.name</c>.</summary>
    public FrozenSet<string> Imports { get; } = module.Imports.Select(i => $"{i.ModuleName}.{i.Name}").ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Whether the module exports an initialiser, so most invocations skip looking for one.</summary>
    public bool HasInitializer { get; } = module.Exports.Any(e => e.Name == Mesh.Contracts.HostCalls.GuestAbi.InitializeExport);

    public void Dispose() => Module.Dispose();
}
