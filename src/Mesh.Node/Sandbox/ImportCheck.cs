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
        Qualified(GuestAbi.ReadInput), Qualified(GuestAbi.WriteOutput), Qualified(GuestAbi.SetError), Qualified(GuestAbi.ResultRead),
    ];

    public static MeshError? Check(CompiledModule module, Grant grant)
    {
        foreach (var import in module.Imports)
        {
            if (Always.Contains(import))
            {
                continue;
            }

            var refused = import switch
            {
                _ when import == Qualified(GuestAbi.Log) => grant.AllowsLog ? null : "log",
                _ when import == Qualified(GuestAbi.Publish) => grant.MayPublish ? null : "publish",
                _ when import == Qualified(GuestAbi.Request) => grant.MayRequest ? null : "request",
                _ when import == Qualified(GuestAbi.HttpRequest) => grant.MayUseHttp ? null : "http",
                _ when import == Qualified(GuestAbi.KvGet) || import == Qualified(GuestAbi.KvPut) || import == Qualified(GuestAbi.KvUpdate)
                    || import == Qualified(GuestAbi.KvRevision) || import == Qualified(GuestAbi.KvDelete) || import == Qualified(GuestAbi.KvKeys) => grant.MayUseKv ? null : "key-value",
                _ => "unknown",
            };
            if (refused is null)
            {
                continue;
            }

            if (refused != "unknown")
            {
                return new MeshError(ErrorCode.CapabilityDenied, $"the module imports {import} but the token does not grant {refused}");
            }

            return new MeshError(ErrorCode.ModuleInvalid, $"the module imports {import}, which Mesh does not provide (no WASI: file system, clocks and sockets exist only as capabilities)");
        }

        return null;
    }

    private static string Qualified(string name) => $"{GuestAbi.ImportModule}.{name}";
}
