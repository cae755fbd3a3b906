using Cronos;

namespace Mesh.Client.Declarations;

/// <summary>
/// When a schedule's ticks fall: a cron expression (Cronos) read in UTC, five fields or six with
/// seconds first. Pure: given the last tick handed on and the time now, which tick is due.
/// </summary>
public sealed class ScheduleClock
{
    private readonly CronExpression _expression;

    private ScheduleClock(CronExpression expression) => _expression = expression;

    /// <summary>The clock of <paramref name="cron"/>, or null with <paramref name="problem"/>.</summary>
    public static ScheduleClock? Parse(string cron, out string problem)
    {
        problem = "";
        var fields = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is not (5 or 6))
        {
            problem = $"'{cron}' has {fields} fields: a cron expression has 5 (minute hour day month weekday) or 6 (seconds first)";
            return null;
        }

        try
        {
            return new ScheduleClock(CronExpression.Parse(cron, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard));
        }
        catch (CronFormatException e)
        {
            problem = $"'{cron}' is not a cron expression: {e.Message}";
            return null;
        }
    }

    /// <summary>The first tick after <paramref name="time"/>; null when there is none (e.g. 30 February).</summary>
    public DateTimeOffset? Next(DateTimeOffset time) =>
        _expression.GetNextOccurrence(time.UtcDateTime, inclusive: false) is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null;

    /// <summary>
    /// The latest tick after <paramref name="after"/> and at or before <paramref name="now"/>, or null:
    /// the one tick to run. Ticks before it were missed (no node ran, or NATS was away) and are
    /// skipped: a schedule that fell behind runs once, not once per missed tick. Looks back in
    /// doubling windows, so a long outage costs a few dozen steps, not one per missed second.
    /// </summary>
    public DateTimeOffset? LatestDue(DateTimeOffset after, DateTimeOffset now)
    {
        if (now <= after)
        {
            return null;
        }

        for (var window = TimeSpan.FromSeconds(1); ; window *= 2)
        {
            var from = now - window < after ? after : now - window;
            if (Next(from) is { } hit && hit <= now)
            {
                var latest = hit;
                while (Next(latest) is { } later && later <= now)
                {
                    latest = later;
                }

                return latest;
            }

            if (from == after)
            {
                return null;
            }
        }
    }
}
