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

        return unit.ToLowerInvariant() switch
        {
            "ms" => TimeSpan.FromMilliseconds(number.Value),
            "s" or "" => TimeSpan.FromSeconds(number.Value),
            "m" => TimeSpan.FromMinutes(number.Value),
            "h" => TimeSpan.FromHours(number.Value),
            "d" => TimeSpan.FromDays(number.Value),
            _ => throw CliException.Usage($"{option}: unknown duration unit '{unit}' (ms, s, m, h, d)"),
        };
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
        return checked(number.Value * multiplier);
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
