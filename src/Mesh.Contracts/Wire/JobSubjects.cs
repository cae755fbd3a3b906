namespace Mesh.Contracts.Wire;

/// <summary>
/// Durable triggers: a job for function NAME is a JetStream message on <c>mesh.job.NAME</c> (stream
/// <c>MESH_JOBS</c>, work-queue retention: each job goes to one node). A schedule's tick is one on
/// <c>mesh.tick.NAME</c> (stream <c>MESH_TICKS</c>), a subject only nodes may publish: JetStream
/// de-duplicates message ids per stream, so ticks keep ids of their own that no caller can claim
/// (a caller's job under a tick's id would otherwise make the node's tick the duplicate).
/// A job or tick that cannot succeed ends on <c>mesh.dead.NAME</c> (stream <c>MESH_DEAD</c>) with
/// its code and message in headers.
/// </summary>
public static class JobSubjects
{
    public const string JobPrefix = "mesh.job.";
    public const string TickPrefix = "mesh.tick.";
    public const string DeadPrefix = "mesh.dead.";
    public const string JobStream = "MESH_JOBS";
    public const string TickStream = "MESH_TICKS";
    public const string DeadStream = "MESH_DEAD";
    public const string Consumer = "mesh-nodes";

    /// <summary>On a dead letter: how many times the job was delivered.</summary>
    public const string DeliveriesHeader = "Mesh-Deliveries";

    /// <summary>On a dead letter: the id of the job's token (the token itself is removed).</summary>
    public const string TokenIdHeader = "Mesh-Token-Id";

    /// <summary>The function a job's or a tick's subject names, or null.</summary>
    public static string? FunctionOf(string subject) =>
        After(subject, JobPrefix) ?? After(subject, TickPrefix);

    private static string? After(string subject, string prefix) =>
        subject.StartsWith(prefix, StringComparison.Ordinal) && subject.Length > prefix.Length ? subject[prefix.Length..] : null;
}
