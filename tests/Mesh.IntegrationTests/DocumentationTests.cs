using Mesh.Contracts.Wire;

namespace Mesh.IntegrationTests;

/// <summary>Documentation that must not drift from the code it describes.</summary>
public sealed class DocumentationTests
{
    private static readonly string Root = MeshCluster.RepositoryRoot();

    [Fact]
    public void EveryErrorCode_IsExplainedInOperations_WithItsNumber()
    {
        var operations = File.ReadAllText(Path.Combine(Root, "docs", "operations.md"));

        foreach (var code in Enum.GetValues<ErrorCode>().Where(c => c != ErrorCode.None))
        {
            Assert.Contains($"| `{code.ToWire()}` | {(int)code} |", operations);
        }
    }

    [Fact]
    public void TheReadme_LinksEveryDocument()
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));

        foreach (var document in Directory.GetFiles(Path.Combine(Root, "docs"), "*.md"))
        {
            Assert.Contains($"docs/{Path.GetFileName(document)}", readme);
        }
    }
}
