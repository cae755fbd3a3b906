using System.Text;
using BenchmarkDotNet.Attributes;
using Mesh.Node.Secrets;

namespace Mesh.Bench;

/// <summary>
/// What searching a provider's answer for the secrets the node added costs (issue 26 §2): a 1 MiB
/// JSON body, with one secret and with three, without an echo (the common case, nothing
/// allocated) and with one near the end (found and replaced). The baseline is copying the body
/// once, which handing it to the guest costs anyway.
/// </summary>
[MemoryDiagnoser]
public class SecretEchoBenchmarks
{
    private const int Size = 1024 * 1024;
    private byte[] _clean = null!;
    private byte[] _echoing = null!;
    private byte[] _copy = null!;
    private SecretEchoes _one = null!;
    private SecretEchoes _three = null!;

    [GlobalSetup]
    public void Setup()
    {
        const string value = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
        var record = "{\"id\":\"ch_3MmlLrLkdIwHu7ix0snN0B15\",\"object\":\"charge\",\"amount\":1099,\"currency\":\"usd\",\"status\":\"succeeded\"},\n";
        var text = new StringBuilder(Size + record.Length);
        while (text.Length < Size)
        {
            text.Append(record);
        }

        _clean = Encoding.ASCII.GetBytes(text.ToString(0, Size));
        _echoing = Encoding.ASCII.GetBytes(text.ToString(0, Size - 200) + "{\"error\":\"invalid key Bearer " + value + "\"}");
        _copy = new byte[_clean.Length];
        _one = SecretEchoes.For([("stripe", value)]);
        _three = SecretEchoes.For([("stripe", value), ("github", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"), ("slack", "xoxb-1234-5678-abcdefghijklmnop")]);
    }

    [Benchmark(Baseline = true, Description = "Copy 1 MiB (baseline)")]
    public int Copy()
    {
        _clean.CopyTo(_copy, 0);
        return _copy.Length;
    }

    [Benchmark(Description = "Search 1 MiB, 1 secret, no echo")]
    public int OneClean() => _one.Scrub(_clean, new SortedSet<string>()).Length;

    [Benchmark(Description = "Search 1 MiB, 3 secrets, no echo")]
    public int ThreeClean() => _three.Scrub(_clean, new SortedSet<string>()).Length;

    [Benchmark(Description = "Search 1 MiB, 1 secret, echoed once")]
    public int OneEchoed() => _one.Scrub(_echoing, new SortedSet<string>()).Length;

    [Benchmark(Description = "Forms of 1 secret (per request)")]
    public int Forms() => SecretEchoes.For([("stripe", "sk_live_4eC39HqLyjWDarjtT1zdp7dc")]).GetHashCode();
}
