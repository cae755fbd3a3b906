using System.IO.Compression;
using System.Text;
using Mesh.Node.Capabilities;
using Mesh.Node.Secrets;

namespace Mesh.Node.Tests;

/// <summary>
/// Issue 26 §2: what a provider's answer may echo of a secret the node added, and how it is
/// scrubbed before the guest reads it. Pure logic: the real provider is in the integration tests.
/// </summary>
public sealed class SecretEchoesTests
{
    private const string Value = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
    private static readonly SecretEchoes Echoes = SecretEchoes.For([("stripe", Value)]);

    // The echoes an API could plausibly send back, of the value alone or of the whole header.
    public static TheoryData<string> Echoed => new()
    {
        Value,
        Convert.ToBase64String(Encoding.ASCII.GetBytes(Value)),
        Convert.ToBase64String(Encoding.ASCII.GetBytes("Bearer " + Value)),
        Convert.ToBase64String(Encoding.ASCII.GetBytes("Authorization: Bearer " + Value)),
        Convert.ToBase64String(Encoding.ASCII.GetBytes("x" + Value + "y")).Replace('+', '-').Replace('/', '_').TrimEnd('='),
        Convert.ToHexString(Encoding.ASCII.GetBytes("Bearer " + Value)),
        Convert.ToHexStringLower(Encoding.ASCII.GetBytes(Value)),
        Uri.EscapeDataString("Bearer " + Value),
        "{\"headers\":{\"Authorization\":\"Bearer " + Value + "\"}}",
    };

    [Theory]
    [MemberData(nameof(Echoed))]
    public void AnEcho_InTheBodyOrAHeader_IsReplacedByTheMarker_AndTheSecretNamed(string echo)
    {
        var found = new SortedSet<string>();
        var body = Echoes.Scrub(Encoding.ASCII.GetBytes($"before {echo} after"), found);
        Assert.Equal(["stripe"], found);
        Assert.Contains(SecretEchoes.Marker, Encoding.ASCII.GetString(body), StringComparison.Ordinal);
        Assert.DoesNotContain(echo, Encoding.ASCII.GetString(body), StringComparison.Ordinal);

        found.Clear();
        var header = Echoes.Scrub($"x-{echo}", found);
        Assert.Equal(["stripe"], found);
        Assert.DoesNotContain(echo, header, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a key with spaces/and+signs&more=yes")]
    [InlineData("quote\"back\\slash+plus<tag>")]
    public void PercentAndJsonForms_OfAValueWithReservedCharacters_AreFound(string value)
    {
        var echoes = SecretEchoes.For([("k", value)]);
        foreach (var echo in new[]
        {
            Uri.EscapeDataString(value),
            Uri.EscapeDataString(value).Replace("%20", "+", StringComparison.Ordinal),
            System.Text.Json.JsonSerializer.Serialize(value),
            System.Web.HttpUtility.UrlEncode(value),
        })
        {
            var found = new SortedSet<string>();
            var scrubbed = Encoding.ASCII.GetString(echoes.Scrub(Encoding.ASCII.GetBytes("<" + echo + ">"), found));
            Assert.True(found.Count == 1, $"{echo} was not found");
            Assert.DoesNotContain(value, scrubbed, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void EveryOccurrence_IsReplaced_AdjacentOnesAndAtTheEdges()
    {
        var found = new SortedSet<string>();
        var body = Echoes.Scrub(Encoding.ASCII.GetBytes($"{Value}{Value}-x-{Value}"), found);
        var marker = SecretEchoes.Marker;
        Assert.Equal($"{marker}{marker}-x-{marker}", Encoding.ASCII.GetString(body));
    }

    [Fact]
    public void ABodyWithoutAnEcho_IsTheSameArray()
    {
        var body = Encoding.ASCII.GetBytes("{\"id\":\"ch_1\",\"amount\":1999}");
        var found = new SortedSet<string>();
        Assert.Same(body, Echoes.Scrub(body, found));
        Assert.Empty(found);
    }

    [Fact]
    public void EncodedForms_AreAllTheCharactersTheValueAloneDecides_AndNoShorterThanTheBound()
    {
        var forms = SecretEchoes.Forms("abcdefghij").ToList();
        Assert.Contains("abcdefghij", forms);
        Assert.All(forms.Where(f => f != "abcdefghij"), f => Assert.True(f.Length >= SecretEchoes.MinEncodedLength, f));

        // A four-byte value: its hex forms are long enough; no base64 core of it is.
        var short4 = SecretEchoes.Forms("abcd").ToList();
        Assert.Contains("61626364", short4);
        Assert.DoesNotContain(short4, f => f.Length < SecretEchoes.MinEncodedLength && f != "abcd");
    }

    [Fact]
    public void ACompressedAnswer_IsDecodedWithinTheLimit_AndABombIsNot()
    {
        var text = Encoding.ASCII.GetBytes("{\"echo\":\"" + Value + "\"}");
        Assert.Equal(text, ResponseDecoding.Decode(Gzip(text), ["gzip"], 1024, out _));

        var bomb = Gzip(new byte[10 * 1024 * 1024]);
        Assert.True(bomb.Length < 64 * 1024);
        Assert.Null(ResponseDecoding.Decode(bomb, ["gzip"], 1024 * 1024, out var problem));
        Assert.Equal(ResponseDecoding.TooLarge, problem);

        Assert.Null(ResponseDecoding.Decode(text, ["compress"], 1024, out problem));
        Assert.Contains("'compress'", problem, StringComparison.Ordinal);
        Assert.Null(ResponseDecoding.Decode(Gzip(Gzip(text)), ["gzip", "gzip"], 1024, out problem));
        Assert.Null(ResponseDecoding.Decode(text, ["gzip"], 1024, out problem));
        Assert.Contains("not readable", problem, StringComparison.Ordinal);
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize))
        {
            gzip.Write(bytes);
        }

        return output.ToArray();
    }
}
