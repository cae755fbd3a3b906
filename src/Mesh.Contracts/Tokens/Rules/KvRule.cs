namespace Mesh.Contracts.Tokens.Rules;

/// <summary>Key-value access: one bucket, keys under a prefix, some operations.</summary>
public sealed record KvRule(string Bucket, string KeyPrefix, KvOperations Operations)
{
    public bool Allows(string bucket, string key, KvOperations operation) =>
        bucket == Bucket
        && operation != KvOperations.None
        && (Operations & operation) == operation
        && key.StartsWith(KeyPrefix, StringComparison.Ordinal);

    public bool Covers(KvRule child) =>
        child.Bucket == Bucket
        && (child.Operations & ~Operations) == KvOperations.None
        && child.KeyPrefix.StartsWith(KeyPrefix, StringComparison.Ordinal);

    /// <summary>
    /// A key as NATS key-value defines it: letters, digits and <c>-_/=.</c>, no empty segment and
    /// no wildcard. Anything else is refused outright rather than normalised, so the prefix check
    /// always sees the key the store will use.
    /// </summary>
    public static bool IsValidKey(string key) =>
        key.Length is > 0 and <= 1024
        && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '/' or '=' or '.')
        && !key.StartsWith('.') && !key.EndsWith('.') && !key.Contains("..", StringComparison.Ordinal);

    /// <summary>1-64 letters, digits, '-' or '_'.</summary>
    public static bool IsValidBucket(string bucket) =>
        bucket.Length is > 0 and <= 64 && bucket.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public string? Validate()
    {
        if (!IsValidBucket(Bucket))
        {
            return $"kv rule bucket '{Bucket}' must be 1-64 letters, digits, '-' or '_'";
        }

        if (KeyPrefix.Length > 512 || !KeyPrefix.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or '=')
            || KeyPrefix.StartsWith('.') || KeyPrefix.Contains("..", StringComparison.Ordinal))
        {
            return $"kv rule key prefix '{KeyPrefix}' holds characters a key cannot have";
        }

        if (Operations == KvOperations.None || (Operations & ~KvOperations.All) != 0)
        {
            return "kv rule must allow at least one known operation";
        }

        return null;
    }
}
