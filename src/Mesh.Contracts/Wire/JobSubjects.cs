namespace Mesh.Contracts.Wire;

/// <summary>
/// Durable triggers: a job for function NAME is a JetStream message on <c>mesh.job.NAME</c> (stream
/// <c>MESH_JOBS</c>, work-queue retention: each job goes to one node). A job that cannot succeed
/// ends on <c>mesh.dead.NAME</c> (stream <c>MESH_DEAD</c>) with its code and message in headers.
/// </summary>
public static class JobSubjects
{
    public const string JobPrefix = "mesh.job.";
    public const string DeadPrefix = "mesh.dead.";
    public const string JobStream = "MESH_JOBS";
    public const string DeadStream = "MESH_DEAD";
    public const string Consumer = "mesh-nodes";

    /// <summary>On a dead letter: how many times the job was delivered.</summary>
    public const string DeliveriesHeader = "Mesh-Deliveries";

    /// <summary>On a dead letter: the id of the job's token (the token itself is removed).</summary>
    public const string TokenIdHeader = "Mesh-Token-Id";

    public static string? FunctionOf(string subject) =>
        subject.StartsWith(JobPrefix, StringComparison.Ordinal) && subject.Length > JobPrefix.Length ? subject[JobPrefix.Length..] : null;
}
