namespace Mesh.IntegrationTests.Faults;

/// <summary>
/// Tests that kill a cluster server for 20 s and require every call to be served: whether a new
/// leader is elected, and nodes' watches re-made, inside a node's 15 s revocation grace depends on
/// the machine's spare CPU. They run alone, after the rest. Beside the whole suite on 2 cores one
/// node once went 18–19 s without confirming the revocation bucket (one call of thousands refused);
/// alone the same test passed every run.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LeaderFailover
{
    public const string Name = "Leader failover, alone";
}
