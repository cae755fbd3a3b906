using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Mesh.Contracts.HostCalls;
using Mesh.Contracts.Wire;
using Mesh.Node.Capabilities;
using Mesh.Node.Messaging;
using Mesh.Node.Sandbox;
using Microsoft.Extensions.Logging;

namespace Mesh.Node.Wasi;

/// <summary>
/// WASI preview 1 (<c>wasi_snapshot_preview1</c>), deny by default, written by Mesh rather than
/// taken from Wasmtime so that every call stays inside the invocation: stdin is the call's input,
/// stdout is its output (under the output limit), stderr is log lines (only with the log
/// capability), there are no arguments, no environment, no preopened directories and no sockets.
/// Clocks, random and <c>poll_oneoff</c> sleeps are allowed; a sleep ends when the invocation's
/// deadline does. <c>proc_exit(0)</c> ends the function successfully, any other code is a trap
/// with that code, and nothing a guest does reaches the node's own process. Every function of the
/// preview exists, so any toolchain's module links; what Mesh does not give answers with an errno
/// (<see cref="WasiErrno"/>) and, for files and sockets, is recorded as a refusal.
/// </summary>
public sealed class WasiPreview1(LogCapability log, NodeStats stats, TimeProvider time, ILogger<WasiPreview1> logger) : ICapability
{
    public const string Module = "wasi_snapshot_preview1";

    private const int Stdin = 0;
    private const int Stdout = 1;
    private const int Stderr = 2;
    private const byte CharacterDevice = 2;
    private const long RightRead = 1L << 1;
    private const long RightWrite = 1L << 6;
    private const long RightPoll = 1L << 27;

    public IReadOnlyList<HostCall> HostCalls =>
    [
        Call("args_get", ["argv", "argv_buf"], static _ => WasiErrno.Success),
        Call("args_sizes_get", ["argc_ptr", "argv_buf_size_ptr"], static call => WriteTwoZeros(call)),
        Call("environ_get", ["environ", "environ_buf"], static _ => WasiErrno.Success),
        Call("environ_sizes_get", ["count_ptr", "buf_size_ptr"], static call => WriteTwoZeros(call)),
        Call("clock_res_get", ["id", "resolution_ptr"], static call => ClockResolution(call)),
        Call("clock_time_get", ["id", "precision: i64", "time_ptr"], ClockTime),
        Call("random_get", ["buf", "buf_len"], static call =>
        {
            if (!call.TryMemory((uint)call.I32(0), (uint)call.I32(1), out var buffer))
            {
                return WasiErrno.Fault;
            }

            RandomNumberGenerator.Fill(buffer);
            return WasiErrno.Success;
        }),
        Call("sched_yield", [], static _ => WasiErrno.Success),
        Call("poll_oneoff", ["in", "out", "nsubscriptions", "nevents_ptr"], call => WasiPoll.PollOneoff(call, time)),
        new("proc_exit", ["code"], "()", static call => throw Exit(call.I32(0), call.Context)) { Module = Module },
        Call("proc_raise", ["signal"], static _ => WasiErrno.NotSupported),

        Call("fd_read", ["fd", "iovs", "iovs_len", "nread_ptr"], static call => Read(call)),
        Call("fd_write", ["fd", "iovs", "iovs_len", "nwritten_ptr"], Write),
        Call("fd_fdstat_get", ["fd", "stat_ptr"], static call => DescriptorStat(call)),
        Call("fd_filestat_get", ["fd", "stat_ptr"], static call => FileStat(call)),
        Call("fd_prestat_get", ["fd", "prestat_ptr"], static _ => WasiErrno.BadDescriptor),
        Call("fd_prestat_dir_name", ["fd", "path", "path_len"], static _ => WasiErrno.BadDescriptor),
        Call("fd_seek", ["fd", "offset: i64", "whence", "offset_ptr"], static call => Stream(call, WasiErrno.NotSeekable)),
        Call("fd_tell", ["fd", "offset_ptr"], static call => Stream(call, WasiErrno.NotSeekable)),
        Call("fd_close", ["fd"], static call => Stream(call, WasiErrno.NotSupported)),
        Call("fd_advise", ["fd", "offset: i64", "len: i64", "advice"], static call => Stream(call, WasiErrno.NotSupported)),
        Call("fd_allocate", ["fd", "offset: i64", "len: i64"], static call => Stream(call, WasiErrno.NotSupported)),
        Call("fd_datasync", ["fd"], static call => Stream(call, WasiErrno.NotSupported)),
        Call("fd_sync", ["fd"], static call => Stream(call, WasiErrno.NotSupported)),
        Call("fd_fdstat_set_flags", ["fd", "flags"], static call => Stream(call, WasiErrno.NotSupported)),
        Call("fd_fdstat_set_rights", ["fd", "rights_base: i64", "rights_inheriting: i64"], static call => Stream(call, WasiErrno.NotSupported)),
        Call("fd_filestat_set_size", ["fd", "size: i64"], static call => Stream(call, WasiErrno.NotSupported)),
        Call("fd_filestat_set_times", ["fd", "atim: i64", "mtim: i64", "fst_flags"], static call => Stream(call, WasiErrno.NotSupported)),
        Call("fd_pread", ["fd", "iovs", "iovs_len", "offset: i64", "nread_ptr"], static call => Stream(call, WasiErrno.NotSeekable)),
        Call("fd_pwrite", ["fd", "iovs", "iovs_len", "offset: i64", "nwritten_ptr"], static call => Stream(call, WasiErrno.NotSeekable)),
        Call("fd_readdir", ["fd", "buf", "buf_len", "cookie: i64", "bufused_ptr"], static call => Stream(call, WasiErrno.NotSupported)),
        Call("fd_renumber", ["fd", "to"], static call => Stream(call, WasiErrno.NotSupported)),

        Path("path_create_directory", ["fd", "path", "path_len"], 1),
        Path("path_filestat_get", ["fd", "flags", "path", "path_len", "stat_ptr"], 2),
        Path("path_filestat_set_times", ["fd", "flags", "path", "path_len", "atim: i64", "mtim: i64", "fst_flags"], 2),
        Path("path_link", ["old_fd", "old_flags", "old_path", "old_path_len", "new_fd", "new_path", "new_path_len"], 2),
        Path("path_open", ["fd", "dirflags", "path", "path_len", "oflags", "rights_base: i64", "rights_inheriting: i64", "fdflags", "fd_ptr"], 2),
        Path("path_readlink", ["fd", "path", "path_len", "buf", "buf_len", "bufused_ptr"], 1),
        Path("path_remove_directory", ["fd", "path", "path_len"], 1),
        Path("path_rename", ["fd", "old_path", "old_path_len", "new_fd", "new_path", "new_path_len"], 1),
        Path("path_symlink", ["old_path", "old_path_len", "fd", "new_path", "new_path_len"], 0),
        Path("path_unlink_file", ["fd", "path", "path_len"], 1),

        Socket("sock_accept", ["fd", "flags", "fd_ptr"]),
        Socket("sock_recv", ["fd", "ri_data", "ri_data_len", "ri_flags", "ro_datalen_ptr", "ro_flags_ptr"]),
        Socket("sock_send", ["fd", "si_data", "si_data_len", "si_flags", "so_datalen_ptr"]),
        Socket("sock_shutdown", ["fd", "how"]),
    ];

    private static HostCall Call(string name, string[] parameters, HostCallBody body) => new(name, parameters, "errno", body) { Module = Module };

    // No descriptor is a directory, so no path names anything; the path asked for is recorded
    // (cut, and cleaned of control characters by the refusal) like any capability refusal.
    private HostCall Path(string name, string[] parameters, int pathAt) => Call(name, parameters, call =>
    {
        var target = call.TryMemory((uint)call.I32(pathAt), (uint)call.I32(pathAt + 1), out var path)
            ? PrintableText.Clean(Encoding.UTF8.GetString(path[..Math.Min(path.Length, 256)]), 256)
            : "(out of bounds)";
        Refusal.Record(call.Context, stats, logger, "file", target, $"{name}: no file system is granted to functions");
        return WasiErrno.NotCapable;
    });

    private HostCall Socket(string name, string[] parameters) => Call(name, parameters, call =>
    {
        Refusal.Record(call.Context, stats, logger, "socket", $"fd {call.I32(0)}", $"{name}: sockets are not granted to functions (HTTP and messaging are capabilities)");
        return WasiErrno.NotCapable;
    });

    // A non-zero exit after set_error is the guest failing on purpose, as a run returning non-zero
    // is: function.error with its message. Without one it is a trap that names the code.
    private static GuestFault Exit(int code, InvocationContext context) => code switch
    {
        0 => new GuestFault(ErrorCode.None, "the function exited with code 0"),
        _ when context.GuestError is { } message => new GuestFault(ErrorCode.FunctionError, message),
        _ => new GuestFault(ErrorCode.FunctionTrap, $"the function exited with code {code} (proc_exit)"),
    };

    private static int WriteTwoZeros(GuestCall call)
    {
        if (!call.TryMemory((uint)call.I32(0), 4, out var first) || !call.TryMemory((uint)call.I32(1), 4, out var second))
        {
            return WasiErrno.Fault;
        }

        first.Clear();
        second.Clear();
        return WasiErrno.Success;
    }

    private static int ClockResolution(GuestCall call)
    {
        if (!IsClock(call.I32(0)))
        {
            return WasiErrno.Invalid;
        }

        if (!call.TryMemory((uint)call.I32(1), 8, out var resolution))
        {
            return WasiErrno.Fault;
        }

        BinaryPrimitives.WriteInt64LittleEndian(resolution, 1_000);
        return WasiErrno.Success;
    }

    private long ClockTime(GuestCall call)
    {
        var id = call.I32(0);
        if (!IsClock(id))
        {
            return WasiErrno.Invalid;
        }

        if (!call.TryMemory((uint)call.I32(2), 8, out var at))
        {
            return WasiErrno.Fault;
        }

        BinaryPrimitives.WriteInt64LittleEndian(at, Now(id, call.Context, time));
        return WasiErrno.Success;
    }

    private static bool IsClock(int id) => id is >= 0 and <= 3;

    /// <summary>
    /// Nanoseconds on a clock: 0 realtime (since 1970), 1 monotonic. The process and thread CPU
    /// clocks (2, 3) read the time the invocation has run, which is what a guest measuring itself wants.
    /// </summary>
    internal static long Now(int id, InvocationContext context, TimeProvider time) => id switch
    {
        0 => (time.GetUtcNow().UtcTicks - DateTime.UnixEpoch.Ticks) * 100,
        1 => (long)(time.GetTimestamp() * (1_000_000_000.0 / time.TimestampFrequency)),
        _ => (long)context.Elapsed.TotalNanoseconds,
    };

    private static int Read(GuestCall call)
    {
        var context = call.Context;
        if (call.I32(0) != Stdin)
        {
            return WasiErrno.BadDescriptor;
        }

        if (!TryVectors(call, out var vectors, out var count))
        {
            return WasiErrno.Fault;
        }

        var input = context.Input.Span;
        var total = 0;
        for (var i = 0; i < count && context.InputRead < input.Length; i++)
        {
            if (!TryVector(call, vectors, i, out var buffer))
            {
                return WasiErrno.Fault;
            }

            var taken = Math.Min(input.Length - context.InputRead, buffer.Length);
            input.Slice(context.InputRead, taken).CopyTo(buffer);
            context.InputRead += taken;
            total += taken;
        }

        return WriteCount(call, 3, total);
    }

    private long Write(GuestCall call)
    {
        var context = call.Context;
        var fd = call.I32(0);
        if (fd == Stderr && !context.Grant.AllowsLog)
        {
            // As for a closed stderr: Rust and C carry on when it fails with this errno.
            context.Deny("log");
            return WasiErrno.BadDescriptor;
        }

        if (fd is not (Stdout or Stderr))
        {
            return WasiErrno.BadDescriptor;
        }

        if (!TryVectors(call, out var vectors, out var count))
        {
            return WasiErrno.Fault;
        }

        var total = 0L;
        for (var i = 0; i < count; i++)
        {
            if (!TryVector(call, vectors, i, out var buffer))
            {
                return WasiErrno.Fault;
            }

            if (fd == Stdout)
            {
                context.AppendOutput(buffer);
            }
            else
            {
                (context.StandardError ??= StandardError(context)).Write(buffer);
            }

            total += buffer.Length;
        }

        return WriteCount(call, 3, (int)Math.Min(total, int.MaxValue));
    }

    // Its own method: a lambda capturing the context in Write would cost every write an allocation.
    private GuestLines StandardError(InvocationContext context) =>
        new(context.Limits.LogLineBytes, line => log.Write(context, (int)GuestLogLevel.Info, line));

    // The iovec array at argument 1, its count at 2: each entry is a (pointer, length) pair of u32.
    private static bool TryVectors(GuestCall call, out Span<byte> vectors, out int count)
    {
        var entries = (uint)call.I32(2);
        count = (int)Math.Min(entries, int.MaxValue / 8);
        return call.TryMemory((uint)call.I32(1), entries * 8L, out vectors);
    }

    private static bool TryVector(GuestCall call, Span<byte> vectors, int index, out Span<byte> buffer)
    {
        var entry = vectors.Slice(index * 8, 8);
        return call.TryMemory(BinaryPrimitives.ReadUInt32LittleEndian(entry), BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]), out buffer);
    }

    private static int WriteCount(GuestCall call, int pointerAt, int count)
    {
        if (!call.TryMemory((uint)call.I32(pointerAt), 4, out var at))
        {
            return WasiErrno.Fault;
        }

        BinaryPrimitives.WriteInt32LittleEndian(at, count);
        return WasiErrno.Success;
    }

    private static int DescriptorStat(GuestCall call)
    {
        var fd = call.I32(0);
        if (fd is < Stdin or > Stderr)
        {
            return WasiErrno.BadDescriptor;
        }

        if (!call.TryMemory((uint)call.I32(1), 24, out var stat))
        {
            return WasiErrno.Fault;
        }

        stat.Clear();
        stat[0] = CharacterDevice;
        BinaryPrimitives.WriteInt64LittleEndian(stat[8..], (fd == Stdin ? RightRead : RightWrite) | RightPoll);
        return WasiErrno.Success;
    }

    private static int FileStat(GuestCall call)
    {
        if (call.I32(0) is < Stdin or > Stderr)
        {
            return WasiErrno.BadDescriptor;
        }

        if (!call.TryMemory((uint)call.I32(1), 64, out var stat))
        {
            return WasiErrno.Fault;
        }

        stat.Clear();
        stat[16] = CharacterDevice;
        return WasiErrno.Success;
    }

    // What stdin, stdout and stderr answer to a call streams cannot make; any other fd is not open.
    private static int Stream(GuestCall call, int onStream) => call.I32(0) is >= Stdin and <= Stderr ? onStream : WasiErrno.BadDescriptor;
}
