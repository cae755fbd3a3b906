using System.Diagnostics;
using Mesh.Contracts.Wire;
using Mesh.Node.Chaining;

namespace Mesh.Node.Invocations;

/// <summary>
/// One message run, call or job: its outcome and its span, owned together until its answer is
/// given or its output handed on. A message refused before the pipeline (its chain headers) has
/// no outcome, only its error.
/// </summary>
public sealed class Invocation : IDisposable
{
    private readonly MeshError _refusal;

    internal Invocation(InvocationOutcome outcome, Activity? activity)
    {
        Outcome = outcome;
        Activity = activity;
        Function = outcome.Function;
        Step = outcome.Step;
    }

    internal Invocation(MeshError refusal, string function)
    {
        _refusal = refusal;
        Function = function;
        Step = 1;
    }

    public InvocationOutcome? Outcome { get; }

    /// <summary>The invocation's span, current again while its output is handed on.</summary>
    public Activity? Activity { get; }

    public string Function { get; }

    public int Step { get; }

    public MeshError Error => Outcome?.Error ?? _refusal;

    public bool IsOk => Error.Code == ErrorCode.None;

    /// <summary>Whether the output goes on to next steps instead of answering the caller.</summary>
    public bool HandsOn => Outcome is { IsOk: true, Then.IsEmpty: false };

    /// <summary>The token's id for logs and dead letters, "-" when no token was read.</summary>
    public string TokenId => Outcome?.TokenId ?? "-";

    /// <summary>A failure as the caller is told it, naming the step that failed.</summary>
    public ChainAnswer Failure => new(Error, Function, Step, Denied: Outcome?.Denied);

    public void Dispose()
    {
        Outcome?.Dispose();
        Activity?.Dispose();
    }
}
