using System.Diagnostics;

namespace Mesh.IntegrationTests;

/// <summary>
/// sdk/rust's own unit tests (its MessagePack encoding, status mapping), run with Debian's cargo
/// offline as scripts/build-examples.sh builds the crate: the crate must build with no registry.
/// </summary>
public sealed class RustSdkTests
{
    [Fact]
    public async Task TheRustSdksOwnTests_PassOffline_WithDebiansToolchain()
    {
        var start = new ProcessStartInfo("/usr/bin/cargo", ["test", "--offline", "--quiet", "--manifest-path", Path.Combine(MeshCluster.RepositoryRoot(), "sdk", "rust", "Cargo.toml")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Debian's compiler and rustdoc, whatever a rustup on PATH may hold.
        start.Environment["PATH"] = "/usr/bin:" + Environment.GetEnvironmentVariable("PATH");
        start.Environment["RUSTC"] = "/usr/bin/rustc";
        start.Environment["RUSTDOC"] = "/usr/bin/rustdoc";
        start.Environment["CARGO_TARGET_DIR"] = Path.Combine(Path.GetTempPath(), "mesh-sdk-rust-tests");
        using var cargo = Process.Start(start)!;
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var output = cargo.StandardOutput.ReadToEndAsync(limit.Token);
        var errors = cargo.StandardError.ReadToEndAsync(limit.Token);
        await cargo.WaitForExitAsync(limit.Token);

        Assert.True(cargo.ExitCode == 0, await output + await errors);
        Assert.Contains("test result: ok. 5 passed", await output);
    }
}
