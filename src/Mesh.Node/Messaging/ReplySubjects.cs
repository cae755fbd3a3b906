using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Rules;
using Microsoft.Extensions.Options;

namespace Mesh.Node.Messaging;

/// <summary>
/// Where the node may send an answer. NATS lets a requester name any reply subject and never checks
/// it; a node that answered with its own permissions could be steered to write into a key-value
/// bucket (<c>$KV...</c>), an application subject, or the JetStream API (<c>$JS.API...</c>). So a
/// reply goes out only to a literal subject under the configured inbox prefix
/// (<c>Mesh:Nats:ReplyPrefix</c>, <c>_INBOX.</c>); a message asking for any other is not run.
/// Every path that sends to a caller's reply subject asks here: the function endpoint, the hand-on
/// of a chain, and the micro-service discovery answers. A token may narrow this further to its
/// caller's own inbox (<see cref="VerifiedToken.ReplyPrefix"/>), see <see cref="IsAllowedFor"/>.
/// </summary>
public sealed class ReplySubjects(IOptions<NodeOptions> options)
{
    private readonly string _prefix = options.Value.Nats.ReplyPrefix;
    private readonly string _nodes = options.Value.Nats.InboxPrefix;

    public string Prefix => _prefix;

    /// <summary>
    /// Whether the answer to a call made with <paramref name="token"/> may go to <paramref name="replyTo"/>:
    /// under the token's reply binding, or under the nodes' own inbox prefix, where another node
    /// waits for a fan-out branch or a function's request (callers cannot read there).
    /// </summary>
    public bool IsAllowedFor(VerifiedToken token, string? replyTo) =>
        token.AllowsReply(replyTo) || (replyTo is not null && ReplyPrefix.Covers(_nodes, replyTo) && replyTo.Length > _nodes.Length);

    /// <summary>Whether an answer may go to <paramref name="replyTo"/>; no reply subject asks for none and is fine.</summary>
    public bool IsAllowed(string? replyTo) =>
        replyTo is null
        || (replyTo.Length > _prefix.Length && replyTo.StartsWith(_prefix, StringComparison.Ordinal) && IsLiteral(replyTo));

    // SubjectPattern.IsLiteral's rule, without allocating: this runs for every message.
    private static bool IsLiteral(ReadOnlySpan<char> subject)
    {
        if (subject.Length > SubjectPattern.MaxLength)
        {
            return false;
        }

        var tokenStart = 0;
        for (var i = 0; i <= subject.Length; i++)
        {
            if (i < subject.Length && subject[i] != '.')
            {
                if (char.IsWhiteSpace(subject[i]) || char.IsControl(subject[i]))
                {
                    return false;
                }

                continue;
            }

            var token = subject[tokenStart..i];
            if (token.IsEmpty || token is "*" || token is ">")
            {
                return false;
            }

            tokenStart = i + 1;
        }

        return true;
    }
}
