using Mesh.Node.Sandbox;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Node.Tests;

/// <summary>docs/abi.md's import tables say exactly what the node's capabilities declare.</summary>
public sealed class AbiDocumentTests
{
    [Fact]
    public void ImportTable_ListsEveryHostCallTheNodeDefines_WithItsSignature()
    {
        // The node's own wiring: a capability not registered as one would be missing here too.
        using var host = Node();
        var all = host.Services.GetRequiredService<HostCallTable>().All;
        string[] Declared(string module) => [.. all.Where(c => c.Module == module).Select(c => $"{c.Name} {c.Signature}").Order(StringComparer.Ordinal)];

        Assert.Equal(Declared("mesh"), DocumentedImports("| import | signature |").Order(StringComparer.Ordinal));
        Assert.Equal(Declared(Wasi.WasiPreview1.Module), DocumentedImports("| WASI function | signature |").Order(StringComparer.Ordinal));
        Assert.Equal(all.Count, all.Count(c => c.Module is "mesh" or Wasi.WasiPreview1.Module));
    }

    [Fact]
    public void EveryHostCallHasTheWasmTypesItsSignatureSays()
    {
        using var host = Node();
        foreach (var call in host.Services.GetRequiredService<HostCallTable>().All)
        {
            Assert.Equal(call.Parameters.Length, call.ParameterIsI64.Length);
            Assert.Equal(call.Returns == "i64", call.ReturnsI64);
            Assert.Equal(call.Returns == "()", call.ReturnsNothing);
            Assert.All(call.Parameters, p => Assert.Matches("^[a-z_]+(: i64)?$", p));
        }
    }

    [Fact]
    public void TwoCapabilitiesDeclaringOneImport_AreRefusedAtStart()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new HostCallTable([new Capabilities.InvocationIo(), new Capabilities.InvocationIo()]));
        Assert.Contains("read_input", error.Message, StringComparison.Ordinal);
    }

    private static Microsoft.Extensions.Hosting.IHost Node()
    {
        using var issuer = Mesh.Contracts.Keys.SigningKey.Generate();
        return NodeHost.Build([], [new("Mesh:Tokens:TrustedRoots:0", issuer.PublicKeyText)]);
    }

    // Rows of the table with that header: "| `name` | `(a, b) -> n` | ... |".
    private static IEnumerable<string> DocumentedImports(string tableHeader)
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "abi.md"));
        var header = Array.FindIndex(lines, l => l.StartsWith(tableHeader, StringComparison.Ordinal));
        Assert.True(header >= 0, $"docs/abi.md has no table headed {tableHeader}");
        foreach (var row in lines.Skip(header + 2).TakeWhile(l => l.StartsWith('|')))
        {
            var cells = row.Split('|', StringSplitOptions.TrimEntries);
            yield return $"{cells[1].Trim('`')} {cells[2].Trim('`')}";
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Mesh.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Mesh.sln not found above the test directory");
    }
}
