using System.Collections.Immutable;

namespace Mesh.Contracts.Tokens;

/// <summary>
/// The signed payload of one block. The root block states the grant (token id, times, depth and the
/// functions); every later block can only narrow it. A null field means "this block says nothing
/// about it"; <see cref="Functions"/> null in a later block leaves the functions as they were.
/// Times are Unix seconds.
/// </summary>
public sealed record BlockClaims
{
    public const int TokenIdLength = 16;

    /// <summary>Random id of the token (root block only); what revocation names.</summary>
    public ImmutableArray<byte> TokenId { get; init; }

    public long? IssuedAt { get; init; }

    public long? NotBefore { get; init; }

    public long? Expires { get; init; }

    /// <summary>How many blocks may follow the root.</summary>
    public int? MaxDepth { get; init; }

    /// <summary>The only function this token may be presented to.</summary>
    public string? Audience { get; init; }

    public ImmutableArray<FunctionGrant>? Functions { get; init; }

    /// <summary>
    /// Where answers to calls made with this token may go: reply subjects under this prefix only
    /// (see <see cref="Rules.ReplyPrefix"/>). Null says nothing; a later block may only lengthen it.
    /// </summary>
    public string? ReplyPrefix { get; init; }

    public bool IsRoot => !TokenId.IsDefault;
}
