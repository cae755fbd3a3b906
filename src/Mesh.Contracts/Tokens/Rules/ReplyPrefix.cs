namespace Mesh.Contracts.Tokens.Rules;

/// <summary>
/// A token's reply binding (<c>mesh grant --reply-prefix _INBOX.alice</c>): answers to calls made
/// with the token go only to reply subjects under this prefix, token by token (<c>_INBOX.alice</c>
/// covers <c>_INBOX.alice</c> and <c>_INBOX.alice.x</c>, never <c>_INBOX.alicex</c>). A later block
/// may lengthen it, never drop or change it.
/// </summary>
public static class ReplyPrefix
{
    /// <summary>A literal subject of at most <see cref="SubjectPattern.MaxLength"/> characters.</summary>
    public static bool IsValid(string prefix) => SubjectPattern.IsLiteral(prefix);

    /// <summary>Whether <paramref name="subject"/> (a reply subject, or a longer prefix) lies under <paramref name="prefix"/>.</summary>
    public static bool Covers(string prefix, ReadOnlySpan<char> subject) =>
        subject.StartsWith(prefix, StringComparison.Ordinal)
        && (subject.Length == prefix.Length || subject[prefix.Length] == '.');
}
