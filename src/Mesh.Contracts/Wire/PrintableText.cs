using System.Buffers;
using System.Globalization;
using System.Text;

namespace Mesh.Contracts.Wire;

/// <summary>
/// Text from a guest or a caller made safe for a header, a log line or a span: every control
/// character (C0 with tab, DEL, C1), line and paragraph separators, and bidirectional controls
/// (which reorder what a terminal shows) become a visible escape such as <c>\x0d</c> or
/// <c>\u202e</c>, and the result is cut to a length. Nothing a guest writes can end a header,
/// start a log line or rewrite the attribution a terminal shows before it.
/// </summary>
public static class PrintableText
{
    private static readonly SearchValues<char> Unsafe = SearchValues.Create(BuildUnsafe());

    /// <summary>Whether <paramref name="text"/> holds nothing to escape.</summary>
    public static bool IsClean(ReadOnlySpan<char> text) => !text.ContainsAny(Unsafe);

    /// <summary>
    /// <paramref name="text"/> with unsafe characters escaped, at most <paramref name="maxLength"/>
    /// characters long (cut text ends in <c>...</c>). Clean text within the length is returned as is.
    /// </summary>
    public static string Clean(string text, int maxLength = int.MaxValue)
    {
        var first = text.AsSpan().IndexOfAny(Unsafe);
        if (first < 0)
        {
            return text.Length <= maxLength ? text : Cut(text, maxLength);
        }

        var builder = new StringBuilder(text.Length + 16);
        builder.Append(text, 0, first);
        foreach (var c in text.AsSpan(first))
        {
            if (!Unsafe.Contains(c))
            {
                builder.Append(c);
            }
            else if (c <= 0xff)
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            }
            else
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
        }

        var clean = builder.ToString();
        return clean.Length <= maxLength ? clean : Cut(clean, maxLength);
    }

    private static string Cut(string text, int maxLength)
    {
        if (maxLength < 4)
        {
            return "";
        }

        var end = maxLength - 3;
        // Never split a surrogate pair: half of one is not text.
        if (end > 0 && char.IsHighSurrogate(text[end - 1]))
        {
            end--;
        }

        return string.Concat(text.AsSpan(0, end), "...");
    }

    private static string BuildUnsafe()
    {
        var unsafeChars = new StringBuilder();
        for (var c = 0; c < 0x20; c++)
        {
            unsafeChars.Append((char)c);
        }

        for (var c = 0x7f; c <= 0x9f; c++)
        {
            unsafeChars.Append((char)c);
        }

        // Line and paragraph separators, and the bidirectional embeddings, overrides and isolates.
        unsafeChars.Append("\u2028\u2029\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069");
        return unsafeChars.ToString();
    }
}
