using System.Globalization;

namespace Mesh.Cli.Parsing;

/// <summary>Durations (<c>90s</c>, <c>15m</c>, <c>1h</c>, <c>7d</c>, <c>250ms</c>) and sizes (<c>64MiB</c>, <c>1MB</c>, <c>4096</c>).</summary>
public static class Units
{
    public static TimeSpan Duration(string text, string option)
    {
        text = text.Trim();
        var (number, unit) = Split(text);
        if (number is null || number <= 0)
        {
            throw CliException.Usage($"{option}: '{text}' is not a positive duration like 90s, 15m, 1h or 7d");
        }

        var milliseconds = unit.ToLowerInvariant() switch
        {
            "ms" => 1L,
            "s" or "" => 1000L,
            "m" => 60_000L,
            "h" => 3_600_000L,
            "d" => 86_400_000L,
            _ => throw CliException.Usage($"{option}: unknown duration unit '{unit}' (ms, s, m, h, d)"),
        };

        // Nothing Mesh times runs for a century; a longer figure is a typo, not an intent.
        return number.Value <= MaxDuration.TotalMilliseconds / milliseconds
            ? TimeSpan.FromMilliseconds(number.Value * milliseconds)
            : throw CliException.Usage($"{option}: '{text}' is longer than {Describe(MaxDuration)}");
    }

    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(36_500);

    /// <summary>A duration as a person would say it: 10m, 1h30m, 2d.</summary>
    public static string Describe(TimeSpan span)
    {
        if (span < TimeSpan.FromSeconds(1))
        {
            return $"{(long)span.TotalMilliseconds}ms";
        }

        var parts = new List<string>();
        if (span.Days > 0)
        {
            parts.Add($"{span.Days}d");
        }

        if (span.Hours > 0)
        {
            parts.Add($"{span.Hours}h");
        }

        if (span.Minutes > 0)
        {
            parts.Add($"{span.Minutes}m");
        }

        if (span.Seconds > 0 && span.Days == 0)
        {
            parts.Add($"{span.Seconds}s");
        }

        return string.Concat(parts);
    }

    public static long Size(string text, string option)
    {
        text = text.Trim();
        var (number, unit) = Split(text);
        if (number is null || number <= 0)
        {
            throw CliException.Usage($"{option}: '{text}' is not a positive size like 4096, 64KiB or 16MiB");
        }

        long multiplier = unit.ToLowerInvariant() switch
        {
            "" or "b" => 1,
            "kb" => 1000,
            "kib" or "k" => 1024,
            "mb" => 1000 * 1000,
            "mib" or "m" => 1024 * 1024,
            "gb" => 1000L * 1000 * 1000,
            "gib" or "g" => 1024L * 1024 * 1024,
            _ => throw CliException.Usage($"{option}: unknown size unit '{unit}' (B, KiB, MiB, GiB, KB, MB, GB)"),
        };
        return number.Value <= long.MaxValue / multiplier
            ? number.Value * multiplier
            : throw CliException.Usage($"{option}: '{text}' is too large");
    }

    public static long Count(string text, string option) =>
        long.TryParse(text.Trim().Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw CliException.Usage($"{option}: '{text}' is not a positive whole number");

    private static (long? Number, string Unit) Split(string text)
    {
        var digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits]))
        {
            digits++;
        }

        return long.TryParse(text.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? (number, text[digits..])
            : (null, "");
    }
}
