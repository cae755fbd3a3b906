using System.Buffers.Binary;
using Mesh.Contracts.Wire;
using Mesh.Node.Sandbox;

namespace Mesh.Node.Wasi;

/// <summary>
/// <c>poll_oneoff</c>: what a guest's <c>sleep</c> and its waits on stdin and stdout become.
/// Streams are always ready (stdin is the input in memory, stdout a buffer), so only clocks wait,
/// and a wait ends when the invocation's deadline does: a guest sleeping past its wall time is
/// stopped with <c>function.timeout</c> at that time, not when its sleep would have ended.
/// </summary>
internal static class WasiPoll
{
    private const int SubscriptionBytes = 48;
    private const int EventBytes = 32;
    private const byte Clock = 0;
    private const byte FdRead = 1;
    private const byte FdWrite = 2;
    private const ushort AbsoluteTime = 1;

    public static int PollOneoff(GuestCall call, TimeProvider time)
    {
        var count = (uint)call.I32(2);
        if (count == 0)
        {
            return WasiErrno.Invalid;
        }

        if (!call.TryMemory((uint)call.I32(0), count * (long)SubscriptionBytes, out var subscriptions)
            || !call.TryMemory((uint)call.I32(1), count * (long)EventBytes, out var events)
            || !call.TryMemory((uint)call.I32(3), 4, out var eventCount))
        {
            return WasiErrno.Fault;
        }

        var context = call.Context;
        var written = WriteStreamEvents(subscriptions, events, (int)count, context);
        if (written == 0)
        {
            var wait = ShortestClock(subscriptions, (int)count, context, time);
            Sleep(wait, context);
            written = WriteClockEvents(subscriptions, events, (int)count, context, time, wait);
        }

        BinaryPrimitives.WriteInt32LittleEndian(eventCount, written);
        return WasiErrno.Success;
    }

    private static int WriteStreamEvents(Span<byte> subscriptions, Span<byte> events, int count, InvocationContext context)
    {
        var written = 0;
        for (var i = 0; i < count; i++)
        {
            var subscription = subscriptions.Slice(i * SubscriptionBytes, SubscriptionBytes);
            var tag = subscription[8];
            if (tag is not (FdRead or FdWrite))
            {
                continue;
            }

            var fd = BinaryPrimitives.ReadInt32LittleEndian(subscription[16..]);
            var ready = (tag == FdRead && fd == 0) || (tag == FdWrite && fd is 1 or 2);
            var available = tag == FdRead && ready ? context.Input.Length - context.InputRead : 0;
            Event(events, written++, subscription, ready ? WasiErrno.Success : WasiErrno.BadDescriptor, tag, available);
        }

        return written;
    }

    // The shortest wait any clock subscription asks for; an unknown clock or tag waits for nothing.
    private static TimeSpan ShortestClock(Span<byte> subscriptions, int count, InvocationContext context, TimeProvider time)
    {
        var shortest = long.MaxValue;
        for (var i = 0; i < count; i++)
        {
            var subscription = subscriptions.Slice(i * SubscriptionBytes, SubscriptionBytes);
            shortest = Math.Min(shortest, subscription[8] == Clock ? Nanoseconds(subscription, context, time) : 0);
        }

        return TimeSpan.FromTicks(Math.Max(0, shortest / 100));
    }

    private static long Nanoseconds(Span<byte> subscription, InvocationContext context, TimeProvider time)
    {
        var clock = BinaryPrimitives.ReadInt32LittleEndian(subscription[16..]);
        var timeout = BinaryPrimitives.ReadInt64LittleEndian(subscription[24..]);
        var flags = BinaryPrimitives.ReadUInt16LittleEndian(subscription[40..]);
        if (clock is < 0 or > 3)
        {
            return 0;
        }

        return (flags & AbsoluteTime) != 0 ? timeout - WasiPreview1.Now(clock, context, time) : timeout;
    }

    private static void Sleep(TimeSpan wait, InvocationContext context)
    {
        if (wait <= TimeSpan.Zero)
        {
            return;
        }

        var left = context.Remaining;
        if (wait < left)
        {
            // The deadline's handle is set when the wall time ends or the node stops, whichever is first.
            if (!context.Deadline.WaitHandle.WaitOne(wait))
            {
                return;
            }
        }
        else if (left > TimeSpan.Zero)
        {
            context.Deadline.WaitHandle.WaitOne(left);
        }

        throw context.Stopping.IsCancellationRequested
            ? new GuestFault(ErrorCode.NodeStopped, "the node stopped while the function slept (its drain timeout passed)")
            : new GuestFault(ErrorCode.FunctionTimeout, $"the function slept past its wall-time limit of {context.Limits.WallTimeMs} ms");
    }

    private static int WriteClockEvents(Span<byte> subscriptions, Span<byte> events, int count, InvocationContext context, TimeProvider time, TimeSpan waited)
    {
        var written = 0;
        for (var i = 0; i < count; i++)
        {
            var subscription = subscriptions.Slice(i * SubscriptionBytes, SubscriptionBytes);
            var tag = subscription[8];
            if (tag != Clock)
            {
                Event(events, written++, subscription, WasiErrno.Invalid, tag, 0);
            }
            else if (Nanoseconds(subscription, context, time) <= 0 || Nanoseconds(subscription, context, time) / 100 <= waited.Ticks)
            {
                var known = BinaryPrimitives.ReadInt32LittleEndian(subscription[16..]) is >= 0 and <= 3;
                Event(events, written++, subscription, known ? WasiErrno.Success : WasiErrno.Invalid, Clock, 0);
            }
        }

        return written;
    }

    private static void Event(Span<byte> events, int index, Span<byte> subscription, int error, byte type, long bytes)
    {
        var @event = events.Slice(index * EventBytes, EventBytes);
        @event.Clear();
        subscription[..8].CopyTo(@event);
        BinaryPrimitives.WriteUInt16LittleEndian(@event[8..], (ushort)error);
        @event[10] = type;
        BinaryPrimitives.WriteInt64LittleEndian(@event[16..], bytes);
    }
}
