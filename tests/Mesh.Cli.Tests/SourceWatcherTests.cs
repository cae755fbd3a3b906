using Mesh.Cli.Local;

namespace Mesh.Cli.Tests;

public sealed class SourceWatcherTests
{
    [Theory]
    [InlineData("/app/assembly/index.ts", true)]
    [InlineData("/app/mesh.yaml", true)]
    [InlineData("/app/fn.wat", true)]
    [InlineData("/app/build/fn.wasm", false)]
    [InlineData("/app/fn.wasm", false)]
    [InlineData("/app/node_modules/assemblyscript/index.js", false)]
    [InlineData("/app/.git/index", false)]
    [InlineData("/app/.fn.wat.swp", false)]
    [InlineData("/app/fn.wat~", false)]
    public void WhatBuildsAndEditorsWrite_IsNotASource(string path, bool source) => Assert.Equal(source, SourceWatcher.IsSource(path));

    [Fact]
    public async Task ABurstOfWrites_IsOneChange_NamingEverySource()
    {
        var directory = Directory.CreateTempSubdirectory("mesh-watch-");
        try
        {
            using var watcher = new SourceWatcher(directory.FullName, TimeSpan.FromMilliseconds(200));
            Directory.CreateDirectory(Path.Combine(directory.FullName, "build"));
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, "a.wat"), "1");
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, "b.wat"), "2");
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, "build", "a.wasm"), "3");

            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var change = await watcher.NextAsync(limit.Token);

            Assert.Contains(Path.Combine(directory.FullName, "a.wat"), change);
            Assert.Contains(Path.Combine(directory.FullName, "b.wat"), change);
            Assert.DoesNotContain(change, p => p.EndsWith(".wasm", StringComparison.Ordinal));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
