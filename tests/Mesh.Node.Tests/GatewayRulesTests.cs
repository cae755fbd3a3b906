using Mesh.Client.Declarations;
using Mesh.Contracts.Wire;
using Mesh.Gateway;
using Microsoft.AspNetCore.Http;

namespace Mesh.Node.Tests;

/// <summary>The gateway's pure rules: statuses for every code, which headers a function sees, its options.</summary>
public sealed class GatewayRulesTests
{
    [Fact]
    public void EveryCode_HasAStatus_AsTheIssueAsks()
    {
        foreach (var code in Enum.GetValues<ErrorCode>())
        {
            Assert.InRange(HttpStatusMap.For(code), 200, 599);
            Assert.Equal(code == ErrorCode.None, HttpStatusMap.For(code) == 200);
        }

        Assert.All(Enum.GetValues<ErrorCode>().Where(c => c.ToWire().StartsWith("token.", StringComparison.Ordinal)), c => Assert.Contains(HttpStatusMap.For(c), new[] { 401, 403 }));
        Assert.Equal(401, HttpStatusMap.For(ErrorCode.TokenExpired));
        Assert.Equal(403, HttpStatusMap.For(ErrorCode.TokenWrongSubject));
        Assert.Equal(404, HttpStatusMap.For(ErrorCode.FunctionNotFound));
        Assert.Equal(413, HttpStatusMap.For(ErrorCode.RequestTooLarge));
        Assert.Equal(503, HttpStatusMap.For(ErrorCode.NodeOverloaded));
        Assert.True(HttpStatusMap.IsRetryable(ErrorCode.NodeOverloaded));
        Assert.Equal(504, HttpStatusMap.For(ErrorCode.FunctionTimeout));
        Assert.Equal(504, HttpStatusMap.For(ErrorCode.RequestTimeout));
        Assert.Equal(502, HttpStatusMap.For(ErrorCode.FunctionTrap));
        Assert.False(HttpStatusMap.IsRetryable(ErrorCode.FunctionTrap));
    }

    [Fact]
    public void ForwardedHeaders_AreTheNamedOnes_NeverAuthorization_NeverControlCharacters()
    {
        var forwarded = new ForwardedHeaders(["Content-Type", "X-*", "Authorization"]);
        var headers = new HeaderDictionary
        {
            ["Content-Type"] = "text/plain",
            ["X-Order"] = "42",
            ["X-Evil"] = "a\u0001b",
            ["Authorization"] = "Bearer secret",
            ["Cookie"] = "session=1",
        };
        Assert.Equal([("content-type", "text/plain"), ("x-order", "42")], forwarded.Select(headers).OrderBy(h => h.Name).ToArray());
    }

    [Theory]
    [InlineData("127.0.0.1:8080", null)]
    [InlineData("0.0.0.0:0", null)]
    [InlineData("[::1]:8080", null)]
    [InlineData("localhost:8080", null)]
    [InlineData("example.com:80", "not an IP address")]
    [InlineData("127.0.0.1", "HOST:PORT")]
    [InlineData("127.0.0.1:70000", "HOST:PORT")]
    public void ListenAddresses_AreCheckedBeforeKestrelSeesThem(string listen, string? problem)
    {
        var error = new GatewayOptions { Listen = listen }.Validate("nats://127.0.0.1:4222");
        if (problem is null)
        {
            Assert.Null(error);
        }
        else
        {
            Assert.Contains(problem, error);
        }
    }

    [Fact]
    public void Options_RefuseToForwardAuthorization_AndAGraceKestrelWouldThrowOn()
    {
        Assert.Contains("Authorization", new GatewayOptions { ForwardHeaders = ["authorization"] }.Validate("nats://127.0.0.1:4222"));
        Assert.Contains("MinBodyRateGrace", new GatewayOptions { MinBodyRateGrace = TimeSpan.FromSeconds(1) }.Validate("nats://127.0.0.1:4222"));
        Assert.NotNull(new GatewayOptions().Validate("http://nats"));
    }
}

/// <summary>When schedules are due: the one tick to run after an outage, never one per missed tick.</summary>
public sealed class ScheduleClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void EverySecond_TheLatestDueTickIsNow_AndNothingIsDueTwice()
    {
        var clock = ScheduleClock.Parse("* * * * * *", out _)!;
        Assert.Equal(Start.AddSeconds(5), clock.LatestDue(Start, Start.AddSeconds(5.4)));
        Assert.Null(clock.LatestDue(Start.AddSeconds(5), Start.AddSeconds(5.9)));
        Assert.Equal(Start.AddSeconds(6), clock.Next(Start.AddSeconds(5.2)));
    }

    [Fact]
    public void AfterALongOutage_OnlyTheLatestMissedTickIsDue()
    {
        var clock = ScheduleClock.Parse("*/5 * * * *", out _)!;
        Assert.Equal(Start.AddDays(3).AddMinutes(-5), clock.LatestDue(Start, Start.AddDays(3).AddMinutes(-1)));
        var seconds = ScheduleClock.Parse("* * * * * *", out _)!;
        Assert.Equal(Start.AddDays(30), seconds.LatestDue(Start, Start.AddDays(30).AddMilliseconds(500)));
    }

    [Fact]
    public void NothingAtOrBeforeTheLastTick_IsEverDue()
    {
        var clock = ScheduleClock.Parse("0 0 * * *", out _)!;
        Assert.Null(clock.LatestDue(Start, Start));
        Assert.Null(clock.LatestDue(Start, Start.AddHours(11)));
        Assert.Equal(Start.AddHours(12), clock.LatestDue(Start, Start.AddHours(13)));
    }

    [Theory]
    [InlineData("* * * *", "4 fields")]
    [InlineData("* * * * * * *", "7 fields")]
    [InlineData("61 * * * *", "not a cron expression")]
    [InlineData("*/0 * * * *", "not a cron expression")]
    public void BadExpressions_SayWhy(string cron, string problem)
    {
        Assert.Null(ScheduleClock.Parse(cron, out var error));
        Assert.Contains(problem, error);
    }
}
