using System.Text;

namespace Mesh.Node.Secrets;

/// <summary>
/// The forms in which a provider's answer may hand back a secret the node added to the request:
/// APIs reflect what they were sent (an httpbin-style <c>/headers</c>, an error page quoting the
/// key, a header, a base64 of it). The node knows each value it added, so before the guest reads
/// the answer it replaces every occurrence of these forms, in header names and values and in the
/// body, with <see cref="Marker"/>: the exact bytes; base64 and base64url at each of the three
/// alignments a value can sit at inside a longer encoded text (only the characters the value alone
/// decides, so <c>Bearer {}</c> encoded whole is caught too); hex in either case; percent-encoding
/// as the common encoders write it (every reserved byte, or <c>encodeURIComponent</c>'s and
/// <c>encodeURI</c>'s sets, hex in either case, a space as <c>%20</c> or <c>+</c>); and a JSON
/// string's escapes. Encoded forms shorter than <see cref="MinEncodedLength"/> characters are not
/// looked for (a very short value's base64 core would match chance text); the exact bytes always
/// are. What a provider transforms otherwise (reversed, split,
/// re-cased, compressed in a format the node does not read, encrypted) is not caught: see
/// docs/capabilities.md.
/// </summary>
public sealed class SecretEchoes
{
    /// <summary>What stands where a secret was: fixed, so its length says nothing of the value's.</summary>
    public const string Marker = "MESH-REDACTED-SECRET";

    public const int MinEncodedLength = 8;

    private static readonly byte[] MarkerBytes = Encoding.ASCII.GetBytes(Marker);

    private readonly (string Name, string[] Forms, byte[][] Bytes)[] _secrets;

    private SecretEchoes((string Name, string[] Forms, byte[][] Bytes)[] secrets) => _secrets = secrets;

    /// <param name="secrets">Each secret's name and the value the node added (printable ASCII).</param>
    public static SecretEchoes For(IEnumerable<(string Name, string Value)> secrets) =>
        new([.. secrets.Select(s =>
        {
            var forms = Forms(s.Value).ToArray();
            return (s.Name, forms, forms.Select(Encoding.ASCII.GetBytes).ToArray());
        })]);

    /// <summary>Every form of <paramref name="value"/> that is looked for, longest first, each once.</summary>
    public static IEnumerable<string> Forms(string value)
    {
        var bytes = Encoding.ASCII.GetBytes(value);
        var encoded = new List<string>();
        for (var shift = 0; shift < 3; shift++)
        {
            var core = Base64Core(bytes, shift);
            encoded.Add(core);
            encoded.Add(core.Replace('+', '-').Replace('/', '_'));
        }

        encoded.Add(Convert.ToHexStringLower(bytes));
        encoded.Add(Convert.ToHexString(bytes));
        foreach (var kept in new[] { "", "!'()*", "!'()*;,/?:@&=+$#" })
        {
            foreach (var upper in new[] { true, false })
            {
                var percent = Percent(value, kept, upper);
                encoded.Add(percent);
                encoded.Add(percent.Replace("%20", "+", StringComparison.Ordinal));
            }
        }

        encoded.AddRange(JsonEscaped(value));

        return new[] { value }
            .Concat(encoded.Where(f => f.Length >= MinEncodedLength))
            .Where(f => f.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(f => f.Length);
    }

    /// <summary>
    /// <paramref name="text"/> with every form replaced, and the names of the secrets found added to
    /// <paramref name="found"/>; the same instance when nothing was found.
    /// </summary>
    public string Scrub(string text, ISet<string> found)
    {
        foreach (var (name, forms, _) in _secrets)
        {
            foreach (var form in forms)
            {
                if (text.Contains(form, StringComparison.Ordinal))
                {
                    text = text.Replace(form, Marker, StringComparison.Ordinal);
                    found.Add(name);
                }
            }
        }

        return text;
    }

    /// <summary>As <see cref="Scrub(string, ISet{string})"/>, for a body: allocates only when a form is found.</summary>
    public byte[] Scrub(byte[] body, ISet<string> found)
    {
        foreach (var (name, _, forms) in _secrets)
        {
            foreach (var form in forms)
            {
                if (body.AsSpan().IndexOf(form) >= 0)
                {
                    body = Replace(body, form);
                    found.Add(name);
                }
            }
        }

        return body;
    }

    // Counted first, so the new body is allocated once, at its size.
    private static byte[] Replace(byte[] body, byte[] form)
    {
        var count = 0;
        for (var rest = body.AsSpan(); rest.IndexOf(form) is var at and >= 0; rest = rest[(at + form.Length)..])
        {
            count++;
        }

        var scrubbed = new byte[body.Length + (count * (MarkerBytes.Length - form.Length))];
        var written = 0;
        var from = body.AsSpan();
        int next;
        while ((next = from.IndexOf(form)) >= 0)
        {
            from[..next].CopyTo(scrubbed.AsSpan(written));
            written += next;
            MarkerBytes.CopyTo(scrubbed.AsSpan(written));
            written += MarkerBytes.Length;
            from = from[(next + form.Length)..];
        }

        from.CopyTo(scrubbed.AsSpan(written));
        return scrubbed;
    }

    // The base64 characters that depend on the value's bytes alone when it starts `shift` bytes
    // into a 3-byte group: character i covers bits [6i, 6i + 6) of the encoded text.
    private static string Base64Core(byte[] value, int shift)
    {
        var padded = new byte[shift + value.Length];
        value.CopyTo(padded, shift);
        var text = Convert.ToBase64String(padded).TrimEnd('=');
        var first = ((8 * shift) + 5) / 6;
        var end = (8 * (shift + value.Length)) / 6;
        return end > first ? text[first..end] : "";
    }

    // As JSON encoders write a string: escaping only '"' and '\\' (JavaScript, Python), '/' too
    // (PHP), or HTML-sensitive characters as \u00XX (System.Text.Json, Go).
    private static IEnumerable<string> JsonEscaped(string value)
    {
        var quoted = value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
        yield return quoted;
        yield return quoted.Replace("/", "\\/", StringComparison.Ordinal);
        foreach (var format in new[] { "X4", "x4" })
        {
            var text = new StringBuilder(value.Length * 2);
            foreach (var c in value)
            {
                if (c == '\\')
                {
                    text.Append("\\\\");
                }
                else if (c is '"' or '&' or '\'' or '+' or '<' or '>' or '`')
                {
                    text.Append("\\u").Append(((int)c).ToString(format, System.Globalization.CultureInfo.InvariantCulture));
                }
                else
                {
                    text.Append(c);
                }
            }

            yield return text.ToString();
        }
    }

    private static string Percent(string value, string kept, bool upper)
    {
        var text = new StringBuilder(value.Length * 3);
        foreach (var c in value)
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' || kept.Contains(c, StringComparison.Ordinal))
            {
                text.Append(c);
            }
            else
            {
                text.Append('%').Append(((int)c).ToString(upper ? "X2" : "x2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }
}
