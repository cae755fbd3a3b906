using System.Text;
using Mesh.Client;

namespace Mesh.Cli.Output;

/// <summary>
/// What a function's reply means to a person: the output as text (a fan-out's as JSON), or a
/// <see cref="CliException"/> with the code, the step that failed and the message.
/// </summary>
public static class CallReply
{
    public static string Text(MeshReply reply, bool indented = true)
    {
        if (!reply.IsOk)
        {
            var step = reply.Step is > 1 ? $"step {reply.Step} ({reply.Function}): " : "";
            var attempts = reply.Attempts > 1 ? $" (after {reply.Attempts} attempts)" : "";
            throw new CliException(reply.Status, step + reply.Message + attempts);
        }

        var output = reply.Output.ToArray();
        return reply.FanOut is null ? Encoding.UTF8.GetString(output) : FanOutJson.From(output, indented);
    }
}
