namespace Mesh.IntegrationTests;

/// <summary>
/// Tests that build the CLI in Release (the ./mesh script, scripts/install-cli.sh) share the
/// projects' obj/Release directories, so they run one after another, never side by side.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ReleaseBuildsOfTheCli
{
    public const string Name = "Release builds of the CLI";
}
