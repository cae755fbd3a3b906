using Mesh.Contracts.HostCalls;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;

namespace Mesh.Node.Sandbox;

/// <summary>
/// Checks a module's imports against what the node offers and what the grant allows, before any
/// guest code runs. A module that imports a capability its token does not grant is refused with
/// <c>capability.denied</c> naming it; one that imports anything unknown (WASI included) is invalid.
/// </summary>
public static class ImportCheck
{
    private static readonly string[] Always =
    [
        Qualified(GuestAbi.ReadInput), Qualified(GuestAbi.WriteOutput), Qualified(GuestAbi.SetError),
    ];

    public static MeshError? Check(CompiledModule module, Grant grant)
    {
        foreach (var import in module.Imports)
        {
            if (Always.Contains(import))
            {
                continue;
            }

            if (import == Qualified(GuestAbi.Log))
            {
                if (!grant.AllowsLog)
                {
                    return new MeshError(ErrorCode.CapabilityDenied, $"the module imports {import} but the token does not grant log");
                }

                continue;
            }

            return new MeshError(ErrorCode.ModuleInvalid, $"the module imports {import}, which Mesh does not provide (no WASI: file system, clocks and sockets exist only as capabilities)");
        }

        return null;
    }

    private static string Qualified(string name) => $"{GuestAbi.ImportModule}.{name}";
}
