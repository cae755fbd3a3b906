using System.Collections.Frozen;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Capabilities;

namespace Mesh.Node.Sandbox;

/// <summary>
/// Every host call the node offers, gathered from the registered capabilities. The linker defines
/// these and nothing else, and a module's imports are checked against them before any guest code
/// runs: importing a call the token does not grant is <c>capability.denied</c> naming it;
/// importing anything else makes the module invalid.
/// </summary>
public sealed class HostCallTable
{
    private readonly FrozenDictionary<string, HostCall> _byImport;

    public HostCallTable(IEnumerable<ICapability> capabilities)
    {
        All = [.. capabilities.SelectMany(c => c.HostCalls)];
        // A duplicate would leave which implementation runs to the order of registration.
        if (All.GroupBy(c => c.Import, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new InvalidOperationException($"{twice.Key} is declared by more than one capability");
        }

        _byImport = All.ToFrozenDictionary(c => c.Import, StringComparer.Ordinal);
    }

    public IReadOnlyList<HostCall> All { get; }

    /// <summary>Whether every import is one of these calls (so the module can be linked at all).</summary>
    public bool Provides(IEnumerable<string> imports) => imports.All(_byImport.ContainsKey);

    /// <summary>The first import the grant does not allow or the node does not offer, as its error.</summary>
    public MeshError? Check(CompiledModule module, Grant grant)
    {
        foreach (var import in module.Imports)
        {
            if (!_byImport.TryGetValue(import, out var call))
            {
                return new MeshError(ErrorCode.ModuleInvalid, $"the module imports {import}, which Mesh does not provide (it offers the mesh imports and WASI preview 1, wasi_snapshot_preview1)");
            }

            if (!call.Allowed(grant))
            {
                return new MeshError(ErrorCode.CapabilityDenied, $"the module imports {import} but the token does not grant {call.Needs}");
            }
        }

        return null;
    }
}
