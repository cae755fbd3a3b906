using Mesh.Node.Revocation;

namespace Mesh.Node.Tests;

/// <summary>JetStream's stored-at stamps, which carry up to nine fraction digits.</summary>
public sealed class StoredTimeTests
{
    [Theory]
    [InlineData("2026-12-07T23:30:01.123456789Z", 2026, 12, 7, 23, 30, 1, 1234567)]
    [InlineData("2026-12-07T23:30:01.5Z", 2026, 12, 7, 23, 30, 1, 5000000)]
    [InlineData("2026-12-07T23:30:01Z", 2026, 12, 7, 23, 30, 1, 0)]
    public void Parses_ToTheTick(string text, int year, int month, int day, int hour, int minute, int second, long ticks)
    {
        var expected = new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero).AddTicks(ticks);

        Assert.Equal(expected, StoredTime.TryParse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("yesterday")]
    [InlineData("2026-13-07T23:30:01.1Z")]
    public void NotATime_IsNull(string text) => Assert.Null(StoredTime.TryParse(text));
}
