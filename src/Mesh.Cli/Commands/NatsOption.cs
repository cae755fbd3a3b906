using System.CommandLine;
using Mesh.Contracts.Wire;
using NATS.Client.Core;

namespace Mesh.Cli.Commands;

/// <summary>
/// How a command reaches NATS: <c>--nats URL</c> and <c>--inbox-prefix PREFIX</c>, which every
/// networked command takes, and the connection they make. Credentials in the URL go to the client
/// as credentials and are never shown. The inbox prefix is where this client's replies arrive:
/// with per-caller NATS permissions a caller may subscribe only under its own
/// (<c>_INBOX.alice</c>), so no caller can read another's replies (docs/operations.md).
/// </summary>
public sealed class NatsOption(CliContext context)
{
    public const string DefaultUrl = "nats://127.0.0.1:4222";
    public const string DefaultInboxPrefix = "_INBOX";

    // Without the flag: MESH_NATS_URL, then the selected context, then the local default.
    public Option<string> Url { get; } = new("--nats")
    {
        Description = $"NATS server URL (default: $MESH_NATS_URL, else the selected context's, else {DefaultUrl})",
        DefaultValueFactory = _ => context.Defaults.Nats ?? DefaultUrl,
    };

    public Option<string> InboxPrefix { get; } = new("--inbox-prefix")
    {
        Description = "Subject prefix replies to this client arrive under (e.g. _INBOX.alice, where NATS lets you subscribe); default: $MESH_INBOX_PREFIX, else the selected context's, else _INBOX",
        DefaultValueFactory = _ => context.Defaults.InboxPrefix ?? DefaultInboxPrefix,
    };

    public void AddTo(Command command)
    {
        command.Add(Url);
        command.Add(InboxPrefix);
    }

    public string UrlOf(ParseResult result) => result.GetValue(Url)!;

    public Task<NatsConnection> ConnectAsync(ParseResult result, CancellationToken cancellationToken) =>
        ConnectAsync(UrlOf(result), result.GetValue(InboxPrefix)!, cancellationToken);

    /// <summary>
    /// Connects, trying <paramref name="retries"/> more times (0.2 s, 0.4 s, ... up to 2 s apart)
    /// when NATS cannot be reached: a command asked to retry rides out a NATS restart.
    /// </summary>
    public async Task<NatsConnection> ConnectAsync(ParseResult result, int retries, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await ConnectAsync(result, cancellationToken);
            }
            catch (CliException e) when (e.Code == "node.unavailable" && attempt < retries)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 200 << Math.Min(attempt, 4))), cancellationToken);
            }
        }
    }

    /// <summary>Connection options for <paramref name="url"/>; credentials in it go to the client as credentials, never in a URL that is shown.</summary>
    public static NatsOpts Options(string url, string name, string inboxPrefix = DefaultInboxPrefix)
    {
        var parsed = NatsUrl.Parse(url);
        return new NatsOpts
        {
            Url = parsed.Servers,
            AuthOpts = new NatsAuthOpts { Username = parsed.User, Password = parsed.Password, Token = parsed.Token },
            Name = name,
            InboxPrefix = inboxPrefix,
            RequestReplyMode = NatsRequestReplyMode.Direct,
        };
    }

    public static async Task<NatsConnection> ConnectAsync(string url, string inboxPrefix, CancellationToken cancellationToken)
    {
        if (!IsInboxPrefix(inboxPrefix))
        {
            throw CliException.Usage($"--inbox-prefix '{inboxPrefix}' must be subject tokens without wildcards or spaces, such as _INBOX.alice");
        }

        if (NatsUrl.Problem(url) is { } problem)
        {
            throw CliException.Usage($"--nats: {problem}");
        }

        var nats = new NatsConnection(Options(url, "mesh-cli", inboxPrefix));
        try
        {
            await nats.ConnectAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            return nats;
        }
        catch (Exception e) when (e is NatsException or TimeoutException)
        {
            await nats.DisposeAsync();
            throw new CliException("node.unavailable", $"cannot connect to NATS at {NatsUrl.Redact(url)}: {PrintableText.Clean(e.Message, 300)}");
        }
    }

    private static bool IsInboxPrefix(string prefix) =>
        Mesh.Contracts.Tokens.Rules.SubjectPattern.IsLiteral(prefix);
}
