namespace Mesh.Node.Chaining;

/// <summary>
/// How many more invocations one call may still cause: its own function's hops, theirs, and so on.
/// The call arrives with a number (<c>Mesh-Invocations</c>, capped by the node's bound), spends one
/// on itself, and hands shares of the rest to its hops, so the whole tree a call causes never
/// exceeds the number it started with, whatever its functions do and on whichever nodes they run.
/// <list type="bullet">
/// <item>A declared next step takes all that is left; several (a fan-out) split it evenly.</item>
/// <item>A call a function makes itself takes half of what is left, keeping at least one for each
/// further call it may still make, so a function that notifies many others reaches each of them.</item>
/// </list>
/// One invocation's host calls run one at a time, so this needs no lock.
/// </summary>
public sealed class InvocationBudget(int left)
{
    /// <summary>Nothing left: neither method changes it, so one serves every context that has no budget.</summary>
    public static InvocationBudget Spent { get; } = new(0);

    /// <summary>Invocations this call's hops may still cause in all.</summary>
    public int Left { get; private set; } = Math.Max(0, left);

    /// <summary>A share for one call the function makes; 0 when nothing is left.</summary>
    /// <param name="furtherCalls">How many more calls the function may make after this one.</param>
    public int TakeForCall(int furtherCalls)
    {
        if (Left < 1)
        {
            return 0;
        }

        var half = (Left + 1) / 2;
        var share = Math.Max(1, Math.Min(half, Left - Math.Max(0, furtherCalls)));
        Left -= share;
        return share;
    }

    /// <summary>Each next step's share, or null when there is not one each.</summary>
    public int[]? SplitForSteps(int steps)
    {
        if (steps < 1 || Left < steps)
        {
            return null;
        }

        var shares = Enumerable.Repeat(Left / steps, steps).ToArray();
        for (var i = 0; i < Left % steps; i++)
        {
            shares[i]++;
        }

        Left = 0;
        return shares;
    }
}
