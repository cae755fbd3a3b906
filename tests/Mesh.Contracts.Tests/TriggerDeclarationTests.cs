using Mesh.Contracts.Triggers;

namespace Mesh.Contracts.Tests;

/// <summary>Routes and schedules read from a bucket are checked like input before a node or gateway acts on them.</summary>
public sealed class TriggerDeclarationTests
{
    private static readonly ScheduleDeclaration Schedule = new() { App = "shop", Function = "report", Cron = "* * * * *", Token = "t", Expires = 2_000_000_000, Since = 1_800_000_000 };
    private static readonly RouteDeclaration Route = new() { App = "shop", Function = "orders", Method = "POST", Path = "/orders", Public = true, Token = "t", Expires = 2_000_000_000 };

    [Fact]
    public void WellFormedDeclarations_HaveNoProblem()
    {
        Assert.Null(Schedule.Problem());
        Assert.Null(Route.Problem());
        Assert.Equal("schedule:shop.report:1800000060", ScheduleDeclaration.MessageId("shop", "report", 1_800_000_060));
    }

    [Theory]
    [InlineData("x.>", "shop")]
    [InlineData("a b", "shop")]
    [InlineData("report", "shop.evil")]
    [InlineData("report", "")]
    [InlineData("report\r\n", "shop")]
    public void ANameThatWouldBendASubjectOrMessageId_IsAProblem(string function, string app)
    {
        Assert.NotNull((Schedule with { Function = function, App = app }).Problem());
        Assert.NotNull((Route with { Function = function, App = app }).Problem());
    }

    [Fact]
    public void TimesOutsideTheCalendar_AndMissingTokens_AreProblems()
    {
        Assert.NotNull((Schedule with { Since = long.MaxValue }).Problem());
        Assert.NotNull((Schedule with { Expires = -1 }).Problem());
        Assert.NotNull((Schedule with { Token = "" }).Problem());
        Assert.NotNull((Route with { Expires = long.MaxValue }).Problem());
        Assert.NotNull((Route with { Token = null }).Problem());
        Assert.Null((Route with { Public = false, Token = null, Expires = 0 }).Problem());
        Assert.NotNull((Route with { Method = "TRACE" }).Problem());
        Assert.NotNull((Route with { Path = "/a/../b" }).Problem());
    }
}
