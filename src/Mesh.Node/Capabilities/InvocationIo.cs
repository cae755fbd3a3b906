using System.Text;
using Mesh.Contracts.HostCalls;
using Mesh.Node.Sandbox;

namespace Mesh.Node.Capabilities;

/// <summary>
/// The calls every invocation may make, whatever its grant: read its own input, set its output or
/// an error message, and read the result the last capability call produced. They reach nothing
/// outside the invocation.
/// </summary>
public sealed class InvocationIo : ICapability
{
    /// <summary>The first part of an error message kept; the rest is dropped.</summary>
    public const int MaxErrorBytes = 4096;

    public IReadOnlyList<HostCall> HostCalls =>
    [
        new(GuestAbi.ReadInput, ["ptr", "len"], "n", static call =>
            call.TrySpan(0, out var destination) ? CopyOut(call.Context.Input.Span, destination) : HostStatus.OutOfBounds),
        new(GuestAbi.WriteOutput, ["ptr", "len"], "status", static call =>
        {
            if (!call.TrySpan(0, out var source))
            {
                return HostStatus.OutOfBounds;
            }

            call.Context.SetOutput(source);
            return HostStatus.Ok;
        }),
        new(GuestAbi.SetError, ["ptr", "len"], "status", static call =>
        {
            if (!call.TrySpan(0, out var source, MaxErrorBytes))
            {
                return HostStatus.OutOfBounds;
            }

            call.Context.SetGuestError(Encoding.UTF8.GetString(source));
            return HostStatus.Ok;
        }),
        new(GuestAbi.ResultRead, ["ptr", "len"], "n", static call =>
            call.TrySpan(0, out var destination) ? CopyOut(call.Context.Result, destination) : HostStatus.OutOfBounds),
    ];

    // Copies as much as fits; the guest learns how much from the return value.
    private static int CopyOut(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var count = Math.Min(destination.Length, source.Length);
        source[..count].CopyTo(destination);
        return count;
    }
}
