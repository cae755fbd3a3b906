namespace Mesh.IntegrationTests;

/// <summary>The file a container health check tests for: there while the node serves, gone once it stops.</summary>
[Collection(NatsServerDefinition.Name)]
public sealed class ReadyFileTests(NatsServerFixture nats)
{
    [Fact]
    public async Task TheReadyFile_ExistsExactlyWhileTheNodeServes()
    {
        var mesh = await nats.SharedMeshAsync();
        var path = Path.Combine(Path.GetTempPath(), $"mesh-ready-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(path, "left over from a node that died");

        var node = await mesh.StartNodeAsync(new Dictionary<string, string?> { ["Mesh:Health:ReadyFile"] = path });
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!(File.Exists(path) && await File.ReadAllTextAsync(path) == "ready\n") && deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(20);
        }

        Assert.Equal("ready\n", await File.ReadAllTextAsync(path));
        await mesh.StopNodeAsync(node);
        Assert.False(File.Exists(path));
    }
}
