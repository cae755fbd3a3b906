using System.Buffers;
using System.Buffers.Text;
using MessagePack;
using Mesh.Contracts.Tokens.Encoding;
using Mesh.Contracts.Tokens.Rules;

namespace Mesh.Contracts.Secrets;

/// <summary>
/// How a node asks the secrets service for one secret: a request on <see cref="Subject"/> carrying
/// the invocation's token (<c>Mesh-Token</c>) and <c>[secret, function, node public key (32), nonce (16)]</c>
/// (MessagePack). The answer is the secret sealed to that one-time key for <see cref="InTransit"/>
/// (the name, the function and the nonce), so it is useless to anyone who overhears it, and a reply
/// to another request does not open. Secrets rest in <see cref="Bucket"/>, sealed to the service's
/// key for <see cref="AtRest"/>.
/// </summary>
public static class SecretRelease
{
    public const string Subject = "mesh.secrets.release";
    public const string Bucket = "mesh-secrets";
    public const int NonceLength = 16;

    public sealed record Request(string Secret, string Function, byte[] PublicKey, byte[] Nonce);

    public static string AtRest(string secret) => $"secret:{secret}";

    public static string InTransit(string secret, string function, ReadOnlySpan<byte> nonce) =>
        $"release:{secret}:{function}:{Base64Url.EncodeToString(nonce)}";

    public static byte[] Write(Request request)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(4);
        writer.Write(request.Secret);
        writer.Write(request.Function);
        writer.Write(request.PublicKey);
        writer.Write(request.Nonce);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static bool TryRead(ReadOnlyMemory<byte> bytes, out Request? request, out string error)
    {
        request = null;
        try
        {
            var reader = new MessagePackReader(bytes);
            StrictReader.Array(ref reader, 4, "secret request");
            var secret = StrictReader.String(ref reader, SecretBinding.MaxName, "secret");
            var function = StrictReader.String(ref reader, Wire.FunctionName.MaxLength, "function");
            var key = StrictReader.Bytes(ref reader, Keys.KeyText.RawKeyLength, "public key");
            var nonce = StrictReader.Bytes(ref reader, NonceLength, "nonce");
            if (!reader.End)
            {
                throw new MessagePackSerializationException("bytes after the request");
            }

            if (!SecretBinding.IsValidName(secret) || !Wire.FunctionName.IsValid(function))
            {
                error = "not a secret name or not a function name";
                return false;
            }

            request = new Request(secret, function, key, nonce);
            error = "";
            return true;
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException)
        {
            error = e.Message;
            return false;
        }
    }
}
