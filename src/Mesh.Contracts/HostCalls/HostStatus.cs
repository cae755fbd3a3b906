namespace Mesh.Contracts.HostCalls;

/// <summary>What host functions return to the guest. Negative values are refusals; the call had no effect.</summary>
public static class HostStatus
{
    public const int Ok = 0;

    /// <summary>The token does not grant this.</summary>
    public const int Denied = -1;

    /// <summary>A pointer and length that do not lie inside the guest's memory.</summary>
    public const int OutOfBounds = -2;

    /// <summary>A per-invocation limit (output size, log lines) would be exceeded.</summary>
    public const int LimitExceeded = -3;

    /// <summary>No such key.</summary>
    public const int NotFound = -4;

    /// <summary>A request got no answer within its timeout (or the invocation's remaining time).</summary>
    public const int Timeout = -5;

    /// <summary>Nobody is listening on the subject, or the messaging system failed.</summary>
    public const int Unavailable = -6;

    /// <summary>A subject that is malformed or has wildcards.</summary>
    public const int Invalid = -7;

    /// <summary><c>kv_update</c>: the key is no longer at the revision given; read it again and retry.</summary>
    public const int Conflict = -8;
}
