using System.Globalization;

namespace Mesh.Node.Revocation;

/// <summary>
/// The time JetStream stored a message, as its direct get says it (<c>Nats-Time-Stamp</c>, Go's
/// RFC 3339 with up to nine fraction digits, which .NET does not parse past seven).
/// </summary>
public static class StoredTime
{
    public static DateTimeOffset? TryParse(string text)
    {
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot >= 0)
        {
            var end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }

            if (end - dot - 1 > 7)
            {
                text = string.Concat(text.AsSpan(0, dot + 8), text.AsSpan(end));
            }
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
    }
}
