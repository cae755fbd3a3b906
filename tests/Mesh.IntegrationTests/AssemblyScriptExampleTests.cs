using Mesh.Contracts.Wire;

namespace Mesh.IntegrationTests;

/// <summary>The AssemblyScript example, compiled from source by scripts/build-examples.sh, run by a real node.</summary>
[Collection(NatsServerDefinition.Name)]
public sealed class AssemblyScriptExampleTests(NatsServerFixture nats)
{
    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Mesh.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Mesh.sln not found above the test directory");
    }

    [Fact]
    public async Task HelloInAssemblyScript_GreetsAndFailsWithItsOwnMessage()
    {
        var path = Path.Combine(RepositoryRoot(), "examples", "hello-as", "build", "hello-as.wasm");
        Assert.True(File.Exists(path), $"{path} is missing: scripts/build-examples.sh builds it (scripts/test.sh runs it first)");
        var mesh = await nats.SharedMeshAsync();
        var digest = await mesh.DeployAsync(await File.ReadAllBytesAsync(path));
        var token = mesh.Grant("hello", digest);

        var greeting = await mesh.CallAsync("hello", token, "Mesh");
        var empty = await mesh.CallAsync("hello", token, "  ");

        Assert.True(greeting.IsOk, greeting.ToString());
        Assert.Equal("Hello, Mesh!", greeting.Output);
        Assert.Equal(ErrorCode.FunctionError.ToWire(), empty.Status);
        Assert.Equal("say who to greet", empty.Message);
    }
}
