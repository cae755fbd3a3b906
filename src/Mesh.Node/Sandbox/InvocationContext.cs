using System.Buffers;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;

namespace Mesh.Node.Sandbox;

/// <summary>
/// Everything one invocation may see and touch, held by its Wasmtime store: its input, its grant,
/// its limits and what it produced. Host calls reach it through the store's data; there is no other
/// way for a guest to reach the node.
/// </summary>
public sealed class InvocationContext : IDisposable
{
    private byte[]? _output;
    private long _hostCalls;
    private int _logLines;
    private int _messages;
    private readonly long _started = System.Diagnostics.Stopwatch.GetTimestamp();
    private CancellationTokenSource? _deadline;

    public InvocationContext(Grant grant, ReadOnlyMemory<byte> input, EffectiveLimits limits, string invocationId)
    {
        Grant = grant;
        Input = input;
        Limits = limits;
        InvocationId = invocationId;
    }

    public Grant Grant { get; }

    /// <summary>The revision of the value the last <c>kv_get</c> returned; 0 after not found.</summary>
    public long LastKvRevision { get; set; }

    /// <summary>The verified token the invocation was called with, for handing on to functions it calls.</summary>
    public VerifiedToken? Token { get; init; }

    /// <summary>Where the call stands in a chain: what its hops carry on.</summary>
    public Chaining.ChainPosition Position { get; init; } = OutsideAnyCall;

    // For contexts made without a position (the sandbox's own tests and benchmarks): one shared,
    // so a context does not allocate a position only for it to be replaced.
    private static readonly Chaining.ChainPosition OutsideAnyCall = Chaining.ChainPosition.Start;

    /// <summary>Cancelled when the node stops serving (past its drain timeout).</summary>
    public CancellationToken Stopping { get; init; }

    /// <summary>
    /// Ends when the invocation's wall time does, or when the node stops: every host call that waits
    /// (key-value, publish, request, HTTP) waits on it, so none outlives the invocation. Made on first use.
    /// </summary>
    public CancellationToken Deadline
    {
        get
        {
            if (_deadline is null)
            {
                _deadline = CancellationTokenSource.CreateLinkedTokenSource(Stopping);
                var left = Remaining;
                _deadline.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
            }

            return _deadline.Token;
        }
    }

    /// <summary>The invocations this call's hops may still cause; each hop takes its share from here.</summary>
    public Chaining.InvocationBudget Invocations { get; init; } = Chaining.InvocationBudget.Spent;

    public ReadOnlyMemory<byte> Input { get; }

    /// <summary>For a call that came over HTTP: the request's method, path, query and headers (<c>http_info</c>).</summary>
    public byte[]? HttpRequest { get; init; }

    /// <summary>The HTTP status and headers the guest set (<c>http_respond</c>), checked; null when it set none.</summary>
    public byte[]? HttpResponse { get; set; }

    public EffectiveLimits Limits { get; }

    public string InvocationId { get; }

    public ReadOnlyMemory<byte> Output => _output is null ? default : _output.AsMemory(0, OutputLength);

    public int OutputLength { get; private set; }

    public string? GuestError { get; private set; }

    /// <summary>What stopped the guest from inside a host call (a limit crossed), reported as the invocation's error.</summary>
    internal GuestFault? Fault { get; set; }

    /// <summary>The guest's memory once instantiated (host calls made while instantiating look it up).</summary>
    internal Native.MemoryHandle? Memory { get; set; }

    /// <summary>Distinct refusals kept for the reply and the log; more are only counted.</summary>
    public const int MaxDeniedKept = 16;

    /// <summary>Capabilities the guest asked for and was refused (the first few, printable), for the reply and the log.</summary>
    public List<string>? Denied { get; private set; }

    /// <summary>Refusals beyond <see cref="MaxDeniedKept"/> distinct ones.</summary>
    public int DeniedNotKept { get; private set; }

    /// <summary>Counts a host call; past the limit the guest is stopped.</summary>
    public void CountHostCall()
    {
        if (++_hostCalls > Limits.HostCalls)
        {
            throw new GuestFault(ErrorCode.FunctionHostCallLimit, $"more than {Limits.HostCalls} host calls");
        }
    }

    /// <summary>Replaces the output (<c>set_output</c>).</summary>
    public void SetOutput(ReadOnlySpan<byte> output)
    {
        OutputLength = 0;
        AppendOutput(output);
    }

    /// <summary>Adds to the output (a WASI guest's stdout); past the output limit the guest is stopped.</summary>
    public void AppendOutput(ReadOnlySpan<byte> output)
    {
        var length = (long)OutputLength + output.Length;
        if (length > Limits.OutputBytes)
        {
            throw new GuestFault(ErrorCode.FunctionOutputTooLarge, $"output of {length} bytes exceeds the limit of {Limits.OutputBytes}");
        }

        if (_output is null || _output.Length < length)
        {
            // Doubling keeps a stream of small writes linear; the limit caps what is rented.
            var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(length, _output is null ? 1 : _output.Length * 2L), Math.Max(length, Limits.OutputBytes)));
            Output.Span.CopyTo(grown);
            ReturnOutput();
            _output = grown;
        }

        output.CopyTo(_output.AsSpan(OutputLength));
        OutputLength = (int)length;
    }

    /// <summary>How much of the input a WASI guest has read from stdin.</summary>
    internal int InputRead { get; set; }

    /// <summary>A WASI guest's stderr, turned into log lines; null until it writes there.</summary>
    internal Wasi.GuestLines? StandardError { get; set; }

    public void SetGuestError(string message) => GuestError = message;

    /// <summary>Whether another log line fits in this invocation's budget.</summary>
    public bool TakeLogLine() => ++_logLines <= Limits.LogLines;

    /// <summary>Records a refusal; its target is a guest's text, kept printable and short.</summary>
    public void Deny(string capability)
    {
        var entry = Mesh.Contracts.Wire.PrintableText.Clean(capability, 256);
        Denied ??= [];
        if (Denied.Contains(entry))
        {
            return;
        }

        if (Denied.Count < MaxDeniedKept)
        {
            Denied.Add(entry);
        }
        else
        {
            DeniedNotKept++;
        }
    }

    /// <summary>Whether another publish or request fits in this invocation's budget.</summary>
    public bool TakeMessage() => ++_messages <= Limits.Messages;

    /// <summary>Publishes and requests the invocation may still make.</summary>
    public int MessagesLeft => Math.Max(0, Limits.Messages - _messages);

    /// <summary>How long the invocation has run.</summary>
    public TimeSpan Elapsed => System.Diagnostics.Stopwatch.GetElapsedTime(_started);

    /// <summary>What is left of the invocation's wall time: host calls that wait must not outlive it.</summary>
    public TimeSpan Remaining => TimeSpan.FromMilliseconds(Limits.WallTimeMs) - System.Diagnostics.Stopwatch.GetElapsedTime(_started);

    /// <summary>The result of the last host call that produced one (a reply, a value), for <c>result_read</c>.</summary>
    public byte[] Result { get; private set; } = [];

    /// <summary>Keeps a result for <c>result_read</c> and returns its length, which is what the guest is told.</summary>
    public int SetResult(byte[] result)
    {
        Result = result;
        return result.Length;
    }

    public void Dispose()
    {
        StandardError?.Dispose();
        ReturnOutput();
        _deadline?.Dispose();
    }

    private void ReturnOutput()
    {
        if (_output is not null)
        {
            ArrayPool<byte>.Shared.Return(_output);
            _output = null;
        }
    }
}
