namespace Mesh.Contracts.Tokens.Rules;

/// <summary>
/// Segment-aware path prefixes: <c>/v1</c> allows <c>/v1</c> and <c>/v1/...</c> but not <c>/v1-admin</c>;
/// a prefix ending in '/' allows everything below it.
/// </summary>
public static class PathPrefixes
{
    public static bool Matches(string path, string prefix) =>
        prefix.EndsWith('/')
            ? path.StartsWith(prefix, StringComparison.Ordinal)
            : path == prefix || (path.Length > prefix.Length && path.StartsWith(prefix, StringComparison.Ordinal) && path[prefix.Length] == '/');

    public static bool IsValid(string prefix) =>
        prefix.StartsWith('/')
        && prefix.Length <= 1024
        && !prefix.Contains("..", StringComparison.Ordinal)
        && prefix.IndexOfAny(['?', '#', '%', '\\', ';']) < 0
        && !prefix.Any(char.IsControl)
        && !prefix.Contains(' ', StringComparison.Ordinal);
}
