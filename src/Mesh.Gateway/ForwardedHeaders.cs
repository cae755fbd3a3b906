using System.Collections.Immutable;
using Mesh.Contracts.HostCalls;
using Microsoft.AspNetCore.Http;

namespace Mesh.Gateway;

/// <summary>
/// Which request headers a function sees: those the options name (a trailing '*' is a prefix),
/// never <c>Authorization</c>, and only values HTTP allows (no control characters), names in lower
/// case. Bounded: at most 64 headers and 16 KiB of them, the rest left out.
/// </summary>
public sealed class ForwardedHeaders(IReadOnlyList<string> names)
{
    private const int MaxHeaders = 64;
    private const int MaxBytes = 16 * 1024;

    private readonly string[] _exact = [.. names.Where(n => !n.EndsWith('*')).Select(n => n.ToLowerInvariant())];
    private readonly string[] _prefixes = [.. names.Where(n => n.EndsWith('*')).Select(n => n[..^1].ToLowerInvariant())];

    public bool Forwards(string name)
    {
        var lower = name.ToLowerInvariant();
        return lower != "authorization" && (_exact.Contains(lower) || _prefixes.Any(p => lower.StartsWith(p, StringComparison.Ordinal)));
    }

    public ImmutableArray<(string Name, string Value)> Select(IHeaderDictionary headers)
    {
        var selected = ImmutableArray.CreateBuilder<(string, string)>();
        var bytes = 0;
        foreach (var (name, values) in headers)
        {
            if (!Forwards(name) || !HttpTrigger.IsToken(name))
            {
                continue;
            }

            foreach (var value in values)
            {
                if (value is null || !HttpTrigger.IsFieldValue(value) || value.Length > 8192)
                {
                    continue;
                }

                bytes += name.Length + value.Length;
                if (selected.Count == MaxHeaders || bytes > MaxBytes)
                {
                    return selected.ToImmutable();
                }

                selected.Add((name.ToLowerInvariant(), value));
            }
        }

        return selected.ToImmutable();
    }
}
