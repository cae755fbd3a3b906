using System.Collections.Immutable;
using Mesh.Contracts.HostCalls;

namespace Mesh.Contracts.Tests;

/// <summary>The HTTP request and response a function reads and sets, attacked as a guest or a caller would.</summary>
public sealed class HttpTriggerTests
{
    private static readonly HttpTrigger.Request Request = new("POST", "/orders/a%20b", "x=1", [("content-type", "text/plain"), ("x-id", "7")]);

    [Fact]
    public void ARequest_RoundTrips()
    {
        Assert.True(HttpTrigger.TryReadRequest(HttpTrigger.Write(Request), out var read, out var error), error);
        Assert.Equal(Request.Method, read!.Method);
        Assert.Equal(Request.Path, read.Path);
        Assert.Equal(Request.Query, read.Query);
        Assert.Equal(Request.Headers.ToArray(), read.Headers.ToArray());
    }

    [Fact]
    public void EveryTruncationAndBitFlip_IsRefusedOrReadCleanly_NeverThrown()
    {
        var bytes = HttpTrigger.Write(Request);
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.False(HttpTrigger.TryReadRequest(bytes.AsMemory(0, length), out _, out _));
        }

        for (var bit = 0; bit < bytes.Length * 8; bit++)
        {
            var flipped = (byte[])bytes.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            if (HttpTrigger.TryReadRequest(flipped, out var read, out _))
            {
                Assert.True(HttpTrigger.IsToken(read!.Method));
                Assert.All(read.Headers, h => Assert.True(HttpTrigger.IsFieldValue(h.Value)));
            }

            _ = HttpTrigger.TryReadResponse(flipped, out _, out _);
        }
    }

    [Theory]
    [InlineData(201, "x-made-by", "wat", null)]
    [InlineData(199, "x", "y", "status 199")]
    [InlineData(600, "x", "y", "status 600")]
    [InlineData(200, "Content-Length", "0", "gateway's")]
    [InlineData(200, "transfer-encoding", "chunked", "gateway's")]
    [InlineData(200, "x-split", "a\r\nSet-Cookie: evil=1", "control character")]
    [InlineData(200, "bad name", "y", "header name")]
    [InlineData(200, "", "y", "header name")]
    [InlineData(200, "x", "caf\u00e9", "control character")]
    public void AResponse_IsCheckedBeforeAnyGatewaySendsIt(int status, string name, string value, string? problem)
    {
        var bytes = HttpTrigger.Write(new HttpTrigger.Response(status, [(name, value)]));
        var ok = HttpTrigger.TryReadResponse(bytes, out var response, out var error);
        Assert.Equal(problem is null, ok);
        if (problem is null)
        {
            Assert.Equal(status, response!.Status);
        }
        else
        {
            Assert.Contains(problem, error);
        }
    }

    [Fact]
    public void TooManyHeaders_AndOversizedText_AreRefused()
    {
        var many = HttpTrigger.Write(new HttpTrigger.Response(200, [.. Enumerable.Range(0, 33).Select(i => ($"x-{i}", "v"))]));
        Assert.False(HttpTrigger.TryReadResponse(many, out _, out _));
        Assert.Null(HttpTrigger.Decode(new string('A', HttpTrigger.MaxEncodedLength + 1)));
        Assert.Null(HttpTrigger.Decode("not base64!"));
        Assert.Null(HttpTrigger.Decode(""));
        Assert.False(HttpTrigger.TryReadRequest(HttpTrigger.Write(Request with { Path = "no-slash" }), out _, out _));
        Assert.False(HttpTrigger.TryReadRequest(HttpTrigger.Write(Request with { Method = "PO ST" }), out _, out _));
        Assert.False(HttpTrigger.TryReadRequest(HttpTrigger.Write(Request with { Headers = ImmutableArray.Create(("x", "a\nb")) }), out _, out _));
    }
}
