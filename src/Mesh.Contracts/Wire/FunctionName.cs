namespace Mesh.Contracts.Wire;

/// <summary>
/// A function's name: dot-separated tokens of lowercase letters, digits, '-' and '_', as they appear
/// after <c>mesh.fn.</c>. Narrower than NATS allows on purpose: no wildcards, no case games.
/// </summary>
public static class FunctionName
{
    public const int MaxLength = 128;

    public static bool IsValid(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > MaxLength || name[0] == '.' || name[^1] == '.')
        {
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            var ok = c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_'
                || (c == '.' && name[i - 1] != '.');
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
