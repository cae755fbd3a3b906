using System.Text;
using Mesh.Contracts.HostCalls;
using Mesh.Node.Capabilities;
using Wasmtime;

namespace Mesh.Node.Sandbox;

/// <summary>
/// The <c>mesh</c> host functions, defined once on the shared linker. Each one finds its
/// invocation through the store's data, checks pointers against the guest's memory, counts itself
/// against the host-call limit, and asks the grant before doing anything a capability governs.
/// </summary>
public sealed class HostFunctions(LogCapability log, MessagingCapability messaging, KvCapability kv, HttpCapability http)
{
    public void Define(Linker linker)
    {
        linker.DefineFunction(GuestAbi.ImportModule, GuestAbi.ReadInput, (Caller caller, int ptr, int len) =>
        {
            var context = Begin(caller);
            if (!TryGuestSpan(caller, ptr, len, out var destination))
            {
                return HostStatus.OutOfBounds;
            }

            var count = Math.Min(len, context.Input.Length);
            context.Input.Span[..count].CopyTo(destination);
            return count;
        });

        linker.DefineFunction(GuestAbi.ImportModule, GuestAbi.WriteOutput, (Caller caller, int ptr, int len) =>
        {
            var context = Begin(caller);
            if (!TryGuestSpan(caller, ptr, len, out var source))
            {
                return HostStatus.OutOfBounds;
            }

            context.SetOutput(source);
            return HostStatus.Ok;
        });

        linker.DefineFunction(GuestAbi.ImportModule, GuestAbi.SetError, (Caller caller, int ptr, int len) =>
        {
            var context = Begin(caller);
            if (!TryGuestSpan(caller, ptr, Math.Min(len, 4096), out var source))
            {
                return HostStatus.OutOfBounds;
            }

            context.SetGuestError(Encoding.UTF8.GetString(source));
            return HostStatus.Ok;
        });

        linker.DefineFunction(GuestAbi.ImportModule, GuestAbi.Log, (Caller caller, int level, int ptr, int len) =>
        {
            var context = Begin(caller);
            return TryGuestSpan(caller, ptr, len, out var text) ? log.Write(context, level, text) : HostStatus.OutOfBounds;
        });

        linker.DefineFunction(GuestAbi.ImportModule, GuestAbi.Publish, (Caller caller, int subjectPtr, int subjectLen, int dataPtr, int dataLen) =>
        {
            var context = Begin(caller);
            return TryGuestSpan(caller, subjectPtr, subjectLen, out var subject) && TryGuestSpan(caller, dataPtr, dataLen, out var data)
                ? messaging.Publish(context, subject, data)
                : HostStatus.OutOfBounds;
        });

        linker.DefineFunction(GuestAbi.ImportModule, GuestAbi.Request, (Caller caller, int subjectPtr, int subjectLen, int dataPtr, int dataLen, int timeoutMs) =>
        {
            var context = Begin(caller);
            return TryGuestSpan(caller, subjectPtr, subjectLen, out var subject) && TryGuestSpan(caller, dataPtr, dataLen, out var data)
                ? messaging.Request(context, subject, data, timeoutMs)
                : HostStatus.OutOfBounds;
        });

        linker.DefineFunction(GuestAbi.ImportModule, GuestAbi.KvGet, (Caller caller, int bucketPtr, int bucketLen, int keyPtr, int keyLen) =>
        {
            var context = Begin(caller);
            return TryGuestSpan(caller, bucketPtr, bucketLen, out var bucket) && TryGuestSpan(caller, keyPtr, keyLen, out var key)
                ? kv.Get(context, bucket, key)
                : HostStatus.OutOfBounds;
        });

        linker.DefineFunction(GuestAbi.ImportModule, GuestAbi.KvPut, (Caller caller, int bucketPtr, int bucketLen, int keyPtr, int keyLen, int valuePtr, int valueLen) =>
        {
            var context = Begin(caller);
            return TryGuestSpan(caller, bucketPtr, bucketLen, out var bucket) && TryGuestSpan(caller, keyPtr, keyLen, out var key)
                && TryGuestSpan(caller, valuePtr, valueLen, out var value)
                ? kv.Put(context, bucket, key, value)
                : HostStatus.OutOfBounds;
        });

        linker.DefineFunction(GuestAbi.ImportModule, GuestAbi.KvUpdate, (Caller caller, int bucketPtr, int bucketLen, int keyPtr, int keyLen, int valuePtr, int valueLen, long revision) =>
        {
            var context = Begin(caller);
            return TryGuestSpan(caller, bucketPtr, bucketLen, out var bucket) && TryGuestSpan(caller, keyPtr, keyLen, out var key)
                && TryGuestSpan(caller, valuePtr, valueLen, out var value)
                ? kv.Update(context, bucket, key, value, revision)
                : HostStatus.OutOfBounds;
        });

        linker.DefineFunction(GuestAbi.ImportModule, GuestAbi.KvRevision, (Caller caller) => Begin(caller).LastKvRevision);

        linker.DefineFunction(GuestAbi.ImportModule, GuestAbi.KvDelete, (Caller caller, int bucketPtr, int bucketLen, int keyPtr, int keyLen) =>
        {
            var context = Begin(caller);
            return TryGuestSpan(caller, bucketPtr, bucketLen, out var bucket) && TryGuestSpan(caller, keyPtr, keyLen, out var key)
                ? kv.Delete(context, bucket, key)
                : HostStatus.OutOfBounds;
        });

        linker.DefineFunction(GuestAbi.ImportModule, GuestAbi.KvKeys, (Caller caller, int bucketPtr, int bucketLen, int prefixPtr, int prefixLen) =>
        {
            var context = Begin(caller);
            return TryGuestSpan(caller, bucketPtr, bucketLen, out var bucket) && TryGuestSpan(caller, prefixPtr, prefixLen, out var prefix)
                ? kv.Keys(context, bucket, prefix)
                : HostStatus.OutOfBounds;
        });

        linker.DefineFunction(GuestAbi.ImportModule, GuestAbi.HttpRequest, (Caller caller, int ptr, int len) =>
        {
            var context = Begin(caller);
            return TryGuestSpan(caller, ptr, len, out var request) ? http.Request(context, request.ToArray()) : HostStatus.OutOfBounds;
        });

        linker.DefineFunction(GuestAbi.ImportModule, GuestAbi.ResultRead, (Caller caller, int ptr, int len) =>
        {
            var context = Begin(caller);
            if (!TryGuestSpan(caller, ptr, len, out var destination))
            {
                return HostStatus.OutOfBounds;
            }

            var count = Math.Min(len, context.Result.Length);
            context.Result.AsSpan(0, count).CopyTo(destination);
            return count;
        });
    }

    private static InvocationContext Begin(Caller caller)
    {
        var context = (InvocationContext)caller.GetData()!;
        context.CountHostCall();
        return context;
    }

    // A pointer and length from the guest are untrusted: both must lie inside its memory.
    private static bool TryGuestSpan(Caller caller, int ptr, int len, out Span<byte> span)
    {
        span = default;
        var memory = caller.GetMemory(GuestAbi.MemoryExport);
        if (memory is null || ptr < 0 || len < 0 || (long)ptr + len > memory.GetLength())
        {
            return false;
        }

        span = memory.GetSpan(ptr, len);
        return true;
    }
}
