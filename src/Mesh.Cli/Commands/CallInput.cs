using System.CommandLine;
using System.Text;
using Mesh.Cli.Parsing;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using NATS.Client.Core;

namespace Mesh.Cli.Commands;

/// <summary>What <c>call</c> and <c>publish</c> share: the function, its token, its input, and the headers.</summary>
public sealed class CallInput(CliContext context)
{
    private readonly Argument<string> _function = new("NAME") { Description = "Function name (the message goes to mesh.fn.NAME)" };
    private readonly Option<string> _token = new("--token") { Description = "The token: its text, or @FILE", Required = true };
    private readonly Option<string?> _data = new("--data") { Description = "Input as text" };
    private readonly Option<string?> _file = new("--file") { Description = "Input from a file (any bytes)" };
    private readonly Option<string?> _module = new("--module") { Description = "Which granted module to run (sha256:HEX); default: the grant's first" };

    public NatsOption Nats { get; } = new(context);

    public void AddTo(Command command)
    {
        command.Add(_function);
        command.Add(_token);
        command.Add(_data);
        command.Add(_file);
        command.Add(_module);
        Nats.AddTo(command);
    }

    public string Subject(ParseResult result)
    {
        var name = result.GetValue(_function)!;
        return FunctionName.IsValid(name) ? Subjects.ForFunction(name) : throw CliException.Usage($"'{name}' is not a valid function name");
    }

    public string Function(ParseResult result) => Subjects.FunctionOf(Subject(result))!;

    /// <summary>The token in its wire form, read and checked for shape (not verified).</summary>
    public string Token(ParseResult result, CliContext context) => TokenCodec.ToText(TokenArgument.Read(result.GetValue(_token)!, context));

    public string? Module(ParseResult result) => result.GetValue(_module);

    public NatsHeaders Headers(ParseResult result, CliContext context)
    {
        var token = TokenArgument.Read(result.GetValue(_token)!, context);
        var headers = new NatsHeaders { [MeshHeaders.Token] = TokenCodec.ToText(token) };
        if (result.GetValue(_module) is { } module)
        {
            headers[MeshHeaders.Module] = module;
        }

        return headers;
    }

    /// <summary>
    /// Refuses, before sending, input that the server would refuse as one message: the server's
    /// limit covers the body and the headers.
    /// </summary>
    public static void CheckFits(INatsConnection nats, ReadOnlySpan<byte> data, NatsHeaders headers)
    {
        var limit = nats.ServerInfo?.MaxPayload ?? 0;
        var size = data.Length + 16 + headers.Sum(h => h.Key.Length + 4 + h.Value.Sum(v => v?.Length ?? 0));
        if (limit > 0 && size > limit)
        {
            throw new CliException(ErrorCodes.ToWire(ErrorCode.RequestTooLarge), $"the input is {data.Length:N0} bytes and this NATS server takes at most {limit:N0} bytes per message, headers included");
        }
    }

    /// <summary>--data, --file, or standard input when it is redirected; otherwise empty.</summary>
    public async Task<byte[]> DataAsync(ParseResult result, CliContext context, CancellationToken cancellationToken) =>
        await InputBytes.ReadAsync(result.GetValue(_data), result.GetValue(_file), context, cancellationToken) ?? [];
}
