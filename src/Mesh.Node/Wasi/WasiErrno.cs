namespace Mesh.Node.Wasi;

/// <summary>The WASI preview 1 error numbers Mesh answers with (<c>wasi_snapshot_preview1</c>'s <c>errno</c>).</summary>
internal static class WasiErrno
{
    public const int Success = 0;

    /// <summary>Not an open descriptor: fd 3 and up, and stderr without the log capability.</summary>
    public const int BadDescriptor = 8;

    /// <summary>A pointer and length outside the guest's memory.</summary>
    public const int Fault = 21;

    public const int Invalid = 28;

    /// <summary>What stdin, stdout and stderr cannot do (close, set flags, ...).</summary>
    public const int NotSupported = 58;

    /// <summary>Seeking a stream.</summary>
    public const int NotSeekable = 70;

    /// <summary>Files and sockets: no grant can give them, so every path and socket call is refused.</summary>
    public const int NotCapable = 76;
}
