using System.Buffers;
using System.Text;
using System.Text.Json;
using MessagePack;

namespace Mesh.Cli.Output;

/// <summary>
/// A fan-out's reply (a MessagePack map of function to output) as a JSON object: outputs that are
/// UTF-8 text as strings, anything else as <c>{"base64": "..."}</c>.
/// </summary>
public static class FanOutJson
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string From(byte[] body, bool indented = true)
    {
        Dictionary<string, byte[]> outputs;
        try
        {
            outputs = MessagePackSerializer.Deserialize<Dictionary<string, byte[]>>(body, MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData));
        }
        catch (MessagePackSerializationException)
        {
            throw new CliException("reply.malformed", "the reply says it is a fan-out, but its body is not a MessagePack map of function to output");
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            json.WriteStartObject();
            foreach (var (function, output) in outputs)
            {
                try
                {
                    json.WriteString(function, Strict.GetString(output));
                }
                catch (DecoderFallbackException)
                {
                    json.WriteStartObject(function);
                    json.WriteBase64String("base64", output);
                    json.WriteEndObject();
                }
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
