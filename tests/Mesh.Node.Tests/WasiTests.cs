using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;

namespace Mesh.Node.Tests;

/// <summary>
/// WASI preview 1 as Mesh gives it, on the real engine: stdin is the input, stdout the output,
/// stderr log lines only with the log capability, and nothing else: files, sockets, other
/// descriptors, the environment and long sleeps are refused or stopped with a clear code, and the
/// engine serves the next call.
/// </summary>
public sealed class WasiTests : IDisposable
{
    private readonly TestSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private (MeshError Error, string Output, Mesh.Node.Sandbox.InvocationContext Context) Run(string module, string input = "", CapabilitySet? capabilities = null, Limits? limits = null) =>
        _sandbox.Run(TestSandbox.Wasm(module), input, capabilities, limits);

    private void StillServing()
    {
        var (error, output, _) = Run("wasi-echo", "still here");
        Assert.Equal(ErrorCode.None, error.Code);
        Assert.Equal("still here", output);
    }

    [Fact]
    public void Command_ReadsItsInputOnStdin_AndItsStdoutIsTheOutput()
    {
        var input = new string('m', 200_000);
        var (error, output, _) = Run("wasi-echo", input);

        Assert.Equal(ErrorCode.None, error.Code);
        Assert.Equal(input, output);
    }

    [Fact]
    public void PathOpen_OnEtcPasswd_IsNotCapable_AndRecordedAsARefusal()
    {
        var (error, _, context) = Run("wasi-open-passwd");

        Assert.Equal(ErrorCode.FunctionTrap, error.Code);
        Assert.Contains("exited with code 76", error.Message);
        Assert.Contains("file:/etc/passwd", context.Denied!);
        StillServing();
    }

    [Fact]
    public void Sockets_AreNotCapable_AndRecordedAsARefusal()
    {
        var (error, _, context) = Run("wasi-socket");

        Assert.Equal(ErrorCode.FunctionTrap, error.Code);
        Assert.Contains("exited with code 76", error.Message);
        Assert.Contains("socket:fd 3", context.Denied!);
        StillServing();
    }

    [Fact]
    public void WritingToFd3AndBeyond_IsABadDescriptor()
    {
        var (error, _, _) = Run("wasi-fd3");

        Assert.Equal(ErrorCode.FunctionTrap, error.Code);
        Assert.Contains("exited with code 8", error.Message);
        StillServing();
    }

    [Fact]
    public void HundredMegabytesToStdout_StopsAtTheOutputLimit()
    {
        var (error, _, _) = Run("wasi-stdout-flood");

        Assert.Equal(ErrorCode.FunctionOutputTooLarge, error.Code);
        StillServing();
    }

    [Fact]
    public void TheEnvironmentAndArguments_AreEmpty()
    {
        var (error, output, _) = Run("wasi-environ");

        Assert.Equal(ErrorCode.None, error.Code);
        Assert.Equal(new string('\0', 16), output);
    }

    [Fact]
    public void ProcExitZero_FromDeepInside_IsSuccess_WithWhatWasWritten()
    {
        var (error, output, _) = Run("wasi-nested-exit", "0");

        Assert.Equal(ErrorCode.None, error.Code);
        Assert.Equal("before", output);
    }

    [Fact]
    public void ProcExitNonZero_FromDeepInside_IsATrapWithTheCode()
    {
        var (error, _, _) = Run("wasi-nested-exit", "7");

        Assert.Equal(ErrorCode.FunctionTrap, error.Code);
        Assert.Equal("the function exited with code 7 (proc_exit)", error.Message);
        StillServing();
    }

    [Fact]
    public void SleepingPastTheWallTime_EndsAtTheWallTime()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var (error, _, _) = Run("wasi-sleep", limits: new Limits(WallTimeMs: 300));

        Assert.Equal(ErrorCode.FunctionTimeout, error.Code);
        // The sleep asked for a minute; ending anywhere near that would mean it was not bounded.
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"took {started.Elapsed}");
        StillServing();
    }

    [Fact]
    public void AShortSleep_Wakes_WithItsClockEvent()
    {
        var (error, output, _) = Run("wasi-nap");

        Assert.Equal(ErrorCode.None, error.Code);
        Assert.Equal("awake", output);
    }

    [Fact]
    public void Stderr_WithTheLogCapability_IsLogLines_JoinedAcrossWrites()
    {
        var (error, output, _) = Run("wasi-stderr", capabilities: CapabilitySet.None with { Log = true });

        Assert.Equal(ErrorCode.None, error.Code);
        Assert.Equal("ok", output);
        var lines = _sandbox.Log.Lines.Select(l => l.Message).ToList();
        Assert.Contains(lines, l => l.Contains("first line", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("second part", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("no newline", StringComparison.Ordinal));
    }

    [Fact]
    public void Stderr_WithoutTheLogCapability_IsABadDescriptor_AndNothingIsLogged()
    {
        var (error, output, context) = Run("wasi-stderr");

        Assert.Equal(ErrorCode.None, error.Code);
        Assert.Equal("errno 8", output);
        Assert.Contains("log", context.Denied!);
        Assert.Empty(_sandbox.Log.Lines);
    }

    [Fact]
    public void AModuleImportingWasiWithTheWrongType_IsInvalid()
    {
        var bytes = Wasmtime.Module.ConvertText("""
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32)))
              (memory (export "memory") 1)
              (func (export "_start")))
            """);

        var (error, _, _) = _sandbox.Run(bytes);

        Assert.Equal(ErrorCode.ModuleInvalid, error.Code);
    }
}
