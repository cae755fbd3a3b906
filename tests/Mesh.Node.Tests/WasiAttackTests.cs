using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;

namespace Mesh.Node.Tests;

/// <summary>
/// WASI attacked as a hostile guest would: pointers and counts that reach past memory or wrap,
/// floods through stderr, control characters in paths. Each is refused with an errno or stopped
/// with a code, nothing is read or written outside the guest's memory, and the engine serves on.
/// </summary>
public sealed class WasiAttackTests : IDisposable
{
    private readonly TestSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    // A command whose _start exits with what BODY leaves on the stack (an errno).
    private static byte[] Exits(string body, string imports, int pages = 1) => Wasmtime.Module.ConvertText($$"""
        (module
          {{imports}}
          (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
          (memory (export "memory") {{pages}})
          (func (export "_start") (call $proc_exit {{body}})))
        """);

    private const string FdWrite = """(import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))""";
    private const string FdRead = """(import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))""";

    private void ExitsWith(int errno, byte[] module, string input = "")
    {
        var (error, _, _) = _sandbox.Run(module, input);
        Assert.Equal(ErrorCode.FunctionTrap, error.Code);
        Assert.Equal($"the function exited with code {errno} (proc_exit)", error.Message);

        var (after, output, _) = _sandbox.Run(TestSandbox.Wasm("wasi-echo"), "still here");
        Assert.Equal(ErrorCode.None, after.Code);
        Assert.Equal("still here", output);
    }

    [Theory]
    // An iovec count that wraps (0xffffffff entries), and one that runs past the end of memory.
    [InlineData("(call $fd_write (i32.const 1) (i32.const 0) (i32.const -1) (i32.const 16))")]
    [InlineData("(call $fd_write (i32.const 1) (i32.const 65528) (i32.const 2) (i32.const 16))")]
    // An iovec whose buffer starts inside memory and ends past it, and one at a "negative" address.
    [InlineData("(i32.store (i32.const 0) (i32.const 65000)) (i32.store (i32.const 4) (i32.const 1000)) (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16))")]
    [InlineData("(i32.store (i32.const 0) (i32.const -8)) (i32.store (i32.const 4) (i32.const 16)) (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16))")]
    // Where the count goes: past the end of memory.
    [InlineData("(call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 65534))")]
    public void FdWrite_WithPointersOutsideMemory_IsAFault(string body)
    {
        ExitsWith(21, Exits($"(block (result i32) {body})", FdWrite));
    }

    [Fact]
    public void FdRead_IntoABufferPastTheEndOfMemory_IsAFault_AndWritesNothing()
    {
        ExitsWith(21, Exits("(block (result i32) (i32.store (i32.const 0) (i32.const 65530)) (i32.store (i32.const 4) (i32.const 100)) (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)))", FdRead), input: new string('x', 100));
    }

    [Theory]
    [InlineData("poll_oneoff", "(param i32 i32 i32 i32)", "(i32.const 0) (i32.const 0) (i32.const 100000) (i32.const 16)", 21)]
    [InlineData("poll_oneoff", "(param i32 i32 i32 i32)", "(i32.const 0) (i32.const 100) (i32.const 0) (i32.const 16)", 28)]
    [InlineData("random_get", "(param i32 i32)", "(i32.const 0) (i32.const -1)", 21)]
    [InlineData("clock_time_get", "(param i32 i64 i32)", "(i32.const 1) (i64.const 0) (i32.const 65533)", 21)]
    [InlineData("clock_time_get", "(param i32 i64 i32)", "(i32.const 99) (i64.const 0) (i32.const 0)", 28)]
    [InlineData("args_sizes_get", "(param i32 i32)", "(i32.const 0) (i32.const 65535)", 21)]
    [InlineData("fd_fdstat_get", "(param i32 i32)", "(i32.const 1) (i32.const 65530)", 21)]
    [InlineData("fd_fdstat_get", "(param i32 i32)", "(i32.const 3) (i32.const 0)", 8)]
    [InlineData("fd_seek", "(param i32 i64 i32 i32)", "(i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0)", 70)]
    [InlineData("fd_close", "(param i32)", "(i32.const 1)", 58)]
    [InlineData("fd_renumber", "(param i32 i32)", "(i32.const 1) (i32.const 3)", 58)]
    [InlineData("fd_readdir", "(param i32 i32 i32 i64 i32)", "(i32.const 3) (i32.const 0) (i32.const 100) (i64.const 0) (i32.const 200)", 8)]
    public void EveryOtherCall_WithBadArguments_AnswersAnErrno(string function, string parameters, string arguments, int errno)
    {
        var import = $"""(import "wasi_snapshot_preview1" "{function}" (func $f {parameters} (result i32)))""";
        ExitsWith(errno, Exits($"(call $f {arguments})", import));
    }

    [Fact]
    public void APathWithControlCharacters_IsRefused_AndRecordedPrintable()
    {
        var module = Wasmtime.Module.ConvertText("""
            (module
              (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 100) "/etc/\1b[31mshadow\r\nforged: line")
              (func (export "_start")
                (drop (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 30) (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 300)))))
            """);

        var (error, _, context) = _sandbox.Run(module);

        Assert.Equal(ErrorCode.None, error.Code);
        var denied = Assert.Single(context.Denied!);
        Assert.StartsWith("file:/etc/", denied);
        Assert.DoesNotContain(denied, c => char.IsControl(c));
    }

    [Fact]
    public void AFloodOfStderrLines_IsHeldToTheLogLineBudget_AndAHugeLineIsCut()
    {
        // 5,000 lines of 7 bytes, each its own write.
        var module = Wasmtime.Module.ConvertText("""
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 100) "a line\0a")
              (data (i32.const 0) "\64\00\00\00\07\00\00\00")
              (func (export "_start")
                (local $i i32)
                (loop $more
                  (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 32)))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $more (i32.lt_u (local.get $i) (i32.const 5000))))))
            """);

        var (error, _, context) = _sandbox.Run(module, capabilities: CapabilitySet.None with { Log = true });

        Assert.Equal(ErrorCode.None, error.Code);
        Assert.Equal(context.Limits.LogLines, _sandbox.Log.Lines.Count);
        Assert.All(_sandbox.Log.Lines, l => Assert.Contains("a line", l.Message));
    }

    [Fact]
    public void AHugeStderrLine_IsLoggedOnce_Cut()
    {
        var module = Wasmtime.Module.ConvertText("""
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 70)
              (data (i32.const 0) "\00\00\01\00\00\00\40\00")
              (func (export "_start")
                (memory.fill (i32.const 65536) (i32.const 97) (i32.const 4194304))
                (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 32)))
                (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 32)))))
            """);

        var (error, _, _) = _sandbox.Run(module, capabilities: CapabilitySet.None with { Log = true });

        Assert.Equal(ErrorCode.None, error.Code);
        var line = Assert.Single(_sandbox.Log.Lines);
        Assert.Contains("aaaaaaaa", line.Message);
        Assert.True(line.Message.Length < 4096, $"a line of {line.Message.Length} characters was logged");
    }
}
