namespace Mesh.Contracts.HostCalls;

/// <summary>Guest log levels for <c>mesh.log</c>.</summary>
public enum GuestLogLevel
{
    Debug = 0,
    Info = 1,
    Warn = 2,
    Error = 3,
}
