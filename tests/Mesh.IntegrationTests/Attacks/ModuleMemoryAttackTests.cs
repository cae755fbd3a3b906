using System.Text;
using Mesh.Contracts.Wire;
using Xunit.Abstractions;

namespace Mesh.IntegrationTests.Attacks;

/// <summary>
/// Issue 11 §6: modules built to cost a node memory. The node runs as its own process so its
/// resident memory can be read: a module defining more functions than the node compiles adds
/// nothing, and fifty distinct large modules leave the node under a stated bound, because the
/// compiled-module cache is bounded by memory and evicted modules are freed.
/// </summary>
public sealed class ModuleMemoryAttackTests(ModuleMemoryAttackTests.NodeProcessServer fixture, ITestOutputHelper output) : IClassFixture<ModuleMemoryAttackTests.NodeProcessServer>
{
    /// <summary>
    /// Resident memory the node may reach after the fifty modules. Measured on a 2-core machine:
    /// 90 MiB at start, 92 after the refused module, 171 after the fifty.
    /// </summary>
    private const long ResidentBound = 256L * 1024 * 1024;

    public sealed class NodeProcessServer : OwnMeshFixture
    {
        protected override int Nodes => 0;
    }

    [Fact]
    public async Task FiftyDistinctLargeModules_LeaveTheNodeUnderItsMemoryBound_AndTooManyFunctionsAddNothing()
    {
        var mesh = fixture.Mesh;
        using var node = await NodeProcess.StartAsync(fixture.Url, mesh.Issuer.PublicKeyText, new Dictionary<string, string>
        {
            ["Mesh__Modules__CacheBytes"] = (32L * 1024 * 1024).ToString(),
        });
        var echo = await mesh.DeployAsync(MeshCluster.Wat("echo"));
        Assert.True((await mesh.CallAsync("echo", mesh.Grant("echo", echo), "warm")).IsOk);
        var start = node.ResidentBytes;

        var refused = await mesh.DeployAsync(Wasmtime.Module.ConvertText(ManyFunctions(20_000, salt: 0)));
        Assert.Equal(ErrorCode.ModuleInvalid, (await mesh.CallAsync("huge", mesh.Grant("huge", refused), "x")).Code);
        var afterRefusal = node.ResidentBytes;

        for (var i = 1; i <= 50; i++)
        {
            var module = await mesh.DeployAsync(Wasmtime.Module.ConvertText(ManyFunctions(2_000, salt: i)));
            var reply = await mesh.CallAsync("large", mesh.Grant("large", module), "x");
            Assert.True(reply.IsOk, reply.ToString());
        }

        var end = node.ResidentBytes;
        output.WriteLine($"node RSS: {start / 1048576} MiB at start, {afterRefusal / 1048576} MiB after the refused module, {end / 1048576} MiB after 50 modules of 2,000 functions");
        Assert.True(afterRefusal - start < 8L * 1024 * 1024, $"the refused module added {(afterRefusal - start) / 1048576} MiB");
        Assert.True(end < ResidentBound, $"{end / 1048576} MiB resident after 50 modules");
    }

    // A module of many small functions: cheap to build, costly to compile.
    internal static string ManyFunctions(int count, int salt)
    {
        var wat = new StringBuilder("(module (memory (export \"memory\") 1)\n");
        for (var i = 0; i < count; i++)
        {
            wat.Append($"(func $f{i} (param i32) (result i32) (i32.add (local.get 0) (i32.const {i + (salt * 7)})))\n");
        }

        return wat.Append("(func (export \"run\") (param i32) (result i32) (drop (call $f0 (local.get 0))) (i32.const 0)))").ToString();
    }
}
