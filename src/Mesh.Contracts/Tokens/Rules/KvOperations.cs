namespace Mesh.Contracts.Tokens.Rules;

/// <summary>Key-value operations a <see cref="KvRule"/> allows.</summary>
[Flags]
public enum KvOperations
{
    None = 0,
    Get = 1,
    Put = 2,
    Delete = 4,
    List = 8,
    All = Get | Put | Delete | List,
}
