namespace Mesh.Node.Schedules;

/// <summary>Bound from <c>Mesh__Schedules__...</c>: running the schedules manifests declared.</summary>
public sealed record ScheduleOptions
{
    /// <summary>Whether this node proposes schedules' ticks. Any number of nodes may: each tick runs once.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>How often the schedules bucket is read afresh (besides watching it).</summary>
    public TimeSpan Resync { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long handing one tick on (read, publish, record) may take before it is tried again.</summary>
    public TimeSpan HandOnTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the node reads the NATS server's clock (<see cref="ServerClock"/>) to correct its own.</summary>
    public TimeSpan ClockCheck { get; init; } = TimeSpan.FromSeconds(30);
}
