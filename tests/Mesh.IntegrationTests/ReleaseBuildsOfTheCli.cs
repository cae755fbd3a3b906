namespace Mesh.IntegrationTests;

/// <summary>
/// Tests that build the CLI in Release (the ./mesh script, scripts/install-cli.sh). They share the
/// projects' obj/Release directories, so they run one after another; and a Release build takes
/// both cores for most of a minute, so they run alone, after the rest: beside them, tests that
/// race a deadline on purpose lost (a fan-out's branch answered after its parent stopped waiting).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReleaseBuildsOfTheCli
{
    public const string Name = "Release builds of the CLI";
}
