using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.ObjectStore;

namespace Mesh.Node.Modules;

/// <summary>
/// Module bytes in a NATS object store bucket, each named by its digest (<c>sha256:HEX</c>). The
/// bytes are hashed again after every fetch: the store is not trusted to hand back what the name says.
/// </summary>
public sealed class ModuleStore(INatsConnection nats, IOptions<NodeOptions> options)
{
    private readonly NatsObjContext _objects = new(new NatsJSContext(nats));
    private readonly string _bucket = options.Value.Modules.Bucket;
    private readonly long _maxBytes = options.Value.Modules.MaxModuleBytes;

    public static string ObjectName(Sha256Digest digest) => digest.ToString();

    public async ValueTask<Result<byte[]>> FetchAsync(Sha256Digest digest, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            var store = await _objects.GetObjectStoreAsync(_bucket, cancellationToken);
            var info = await store.GetInfoAsync(ObjectName(digest), cancellationToken: cancellationToken);
            if ((long)info.Size > _maxBytes)
            {
                return Result<byte[]>.Fail(ErrorCode.ModuleInvalid, $"module {digest} is {info.Size} bytes, more than the node's limit of {_maxBytes}");
            }

            bytes = await store.GetBytesAsync(ObjectName(digest), cancellationToken);
        }
        catch (Exception e) when (e is NatsObjNotFoundException or NatsJSApiException { Error.Code: 404 })
        {
            return Result<byte[]>.Fail(ErrorCode.ModuleNotFound, $"module {digest} is not in bucket '{_bucket}' (deploy it with 'mesh deploy')");
        }
        catch (Exception e) when (e is NatsException or NatsObjException)
        {
            return Result<byte[]>.Fail(ErrorCode.NodeUnavailable, $"cannot fetch module {digest}: {e.Message}");
        }

        return Sha256Digest.Of(bytes) == digest
            ? Result<byte[]>.Ok(bytes)
            : Result<byte[]>.Fail(ErrorCode.ModuleDigestMismatch, $"the object named {digest} has a different digest: refusing to run it");
    }
}
