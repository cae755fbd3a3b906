using System.CommandLine;
using Mesh.Contracts.Tokens.Rules;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>--reply-prefix</c>: binds a token's answers to one inbox prefix, so a node's answer to a call
/// made with it cannot be steered into another client's inbox. <c>mesh grant</c> takes the
/// selected context's (or <c>MESH_INBOX_PREFIX</c>'s) inbox prefix when the flag is not given, and
/// <c>--no-reply-prefix</c> issues an unbound token even then.
/// </summary>
public sealed class ReplyPrefixOption
{
    public Option<string?> Option { get; } = new("--reply-prefix")
    {
        Description = "Answers to calls made with the token go only to reply subjects under this prefix, e.g. _INBOX.alice (a narrower block may only lengthen it)",
    };

    public Option<bool> None { get; } = new("--no-reply-prefix") { Description = "Bind no reply prefix, even where the context has an inbox prefix" };

    /// <summary>The prefix given, checked; null when none was.</summary>
    public string? Given(ParseResult result) =>
        result.GetValue(Option) is not { } prefix ? null
        : ReplyPrefix.IsValid(prefix) ? prefix
        : throw CliException.Usage($"--reply-prefix '{prefix}' is not a subject prefix: tokens separated by dots, no wildcards or white space (e.g. _INBOX.alice)");

    /// <summary>For <c>mesh grant</c>: the flag, else the context's inbox prefix unless <c>--no-reply-prefix</c>; says where it came from.</summary>
    public string? ForGrant(ParseResult result, CliContext context)
    {
        if (result.GetValue(None))
        {
            return result.GetValue(Option) is null ? null : throw CliException.Usage("--reply-prefix and --no-reply-prefix say opposite things: give one");
        }

        if (Given(result) is { } prefix)
        {
            return prefix;
        }

        if (context.Defaults.InboxPrefix is { } inbox && inbox != NatsOption.DefaultInboxPrefix && ReplyPrefix.IsValid(inbox))
        {
            context.Error.WriteLine($"mesh: replies bound to {inbox} (the context's inbox prefix; --no-reply-prefix for none)");
            return inbox;
        }

        return null;
    }
}
