using System.Diagnostics;
using System.Text.RegularExpressions;
using Mesh.Cli;
using Mesh.Cli.Parsing;
using NATS.Client.Core;

namespace Mesh.IntegrationTests;

/// <summary>
/// The newcomer's path: <c>mesh up</c> runs the example application on its own nats-server and
/// nodes and shows every example working; SIGTERM leaves nothing behind; <c>mesh deploy -f</c>
/// puts the same manifest on an existing mesh.
/// </summary>
[Collection(NatsServerDefinition.Name)]
public sealed partial class MeshUpTests(NatsServerFixture nats)
{
    private static string Manifest => Path.Combine(MeshCluster.RepositoryRoot(), "examples", "mesh.yaml");

    private static Task<(int Exit, string Out, string Error)> CliAsync(params string[] args) => Cli.RunAsync(args);

    [Fact]
    public async Task MeshUp_RunsEveryExample_AndPrintsCallsThatWork()
    {
        var (exit, output, error) = await CliAsync("up", "-f", Manifest, "--nodes", "2", "--once");

        Assert.True(exit == 0, output + error);
        Assert.Contains("hello('Mesh') -> Hello, Mesh!", output);
        Assert.Contains("counter('ada') -> 1", output);
        Assert.Contains("reverse('stressed') -> desserts", output);
        Assert.Contains("hello-rust('Ferris') -> Hello from Rust, Ferris!", output);
        Assert.Contains("counter-rust('ada') -> 1", output);
        Assert.Contains("hello-c('Dennis') -> Hello from C, Dennis!", output);
        Assert.Contains("shout('mesh') -> Hello, MESH!", output);
        Assert.Contains("split('mesh') -> {\"loud-only\":\"MESH\",\"hello\":\"Hello, mesh!\"}", output);
        Assert.DoesNotContain("FAILED", output);
        // --once stops what the lines to paste would reach, so it prints none.
        Assert.DoesNotContain("try them yourself", output);
        var seed = SeedLine().Match(output).Groups[1].Value;
        Assert.True(seed.Length > 0, output);
        Assert.False(Directory.Exists(Path.GetDirectoryName(seed)), "the temporary directory outlived mesh up");
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task MeshNew_ScaffoldsAFunctionThatBuildsAndRuns_AndInstallsItsCompilerOnce()
    {
        var directory = Directory.CreateTempSubdirectory("mesh-new-");
        try
        {
            var (newExit, made, newError) = await CliAsync("new", "greeter", "--dir", directory.FullName);
            Assert.True(newExit == 0, newError);

            // mesh up runs the manifest's build (npm run build) and calls the example.
            var (exit, output, error) = await CliAsync("up", "-f", Path.Combine(made.Trim(), "mesh.yaml"), "--nodes", "1", "--once");

            Assert.True(exit == 0, output + error);
            Assert.Contains("greeter('world') -> Hello from greeter, world!", output);
            Assert.True(File.Exists(Path.Combine(made.Trim(), "build", "greeter.wasm")));

            // A second build installs nothing again: the prebuild step calls npm install only while
            // the compiler is missing. An npm that leaves a mark shows whether it was called.
            var prebuild = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(made.Trim(), "package.json"))).RootElement.GetProperty("scripts").GetProperty("prebuild").GetString()!;
            Assert.False(await PrebuildCallsNpmAsync(made.Trim(), prebuild), "npm install ran although the compiler was installed");
            var asc = Path.Combine(made.Trim(), "node_modules", ".bin", "asc");
            File.Move(asc, asc + ".away");
            Assert.True(await PrebuildCallsNpmAsync(made.Trim(), prebuild), "npm install did not run although the compiler was missing");
            File.Move(asc + ".away", asc);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("rust")]
    [InlineData("c")]
    public async Task MeshNew_InRustOrC_BuildsOfflineAndRuns(string language)
    {
        var directory = Directory.CreateTempSubdirectory("mesh-new-");
        try
        {
            var (newExit, made, newError) = await CliAsync("new", "greeter", "--dir", directory.FullName, "--lang", language);
            Assert.True(newExit == 0, newError);
            Assert.Contains("sh build.sh", newError);

            // mesh up runs the manifest's build (sh build.sh: cargo offline, or clang with wasi-libc).
            var (exit, output, error) = await CliAsync("up", "-f", Path.Combine(made.Trim(), "mesh.yaml"), "--nodes", "1", "--once");

            Assert.True(exit == 0, output + error);
            Assert.Contains("greeter('world') -> Hello from greeter, world!", output);
            Assert.True(File.Exists(Path.Combine(made.Trim(), "build", "greeter.wasm")));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task MeshNew_WithALanguageItDoesNotKnow_SaysWhichItKnows()
    {
        var (exit, _, error) = await CliAsync("new", "greeter", "--dir", Path.GetTempPath(), "--lang", "cobol");

        Assert.Equal(2, exit);
        var first = error.Split('\n')[0];
        Assert.StartsWith("mesh: usage: ", first);
        Assert.Contains("'cobol'", first);
        Assert.Contains("'rust'", first);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task PrintedCallLines_RunAsPasted_OutcomesShowLive_AndSigtermRemovesEverything()
    {
        // The lines mesh up prints to paste start with this script (as the ./mesh script makes them
        // start with itself), and no other mesh on PATH may answer them.
        var wrapper = Path.Combine(Path.GetTempPath(), $"mesh-{Guid.NewGuid():N}.sh");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec dotnet '{Path.Combine(AppContext.BaseDirectory, "mesh.dll")}' \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "mesh.dll"), "up", "-f", Manifest, "--nodes", "1", "--gateway", "127.0.0.1:0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["MESH_INVOKED_AS"] = wrapper;
        start.Environment["PATH"] = string.Join(':', (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Where(dir => !File.Exists(Path.Combine(dir, "mesh"))));
        using var process = Process.Start(start)!;
        var lines = new List<string>();
        string? line;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while ((line = await process.StandardOutput.ReadLineAsync(timeout.Token)) is not null && !line.Contains("Ctrl-C stops it", StringComparison.Ordinal))
        {
            lines.Add(line);
        }

        var output = string.Join('\n', lines);
        var url = NatsLine().Match(output).Groups[1].Value;
        var tokens = TokensLine().Match(output).Groups[1].Value;
        // The dashboard mesh up started answers, with its page.
        var dashboard = DashboardLine().Match(output).Groups[1].Value;
        using (var http = new HttpClient())
        {
            Assert.Contains("<title>Mesh dashboard</title>", await http.GetStringAsync(dashboard, timeout.Token));
        }

        Assert.True(Directory.Exists(tokens), output);
        await using (var client = new NatsConnection(new NatsOpts { Url = url }))
        {
            await client.ConnectAsync();
        }

        // Every printed call line runs as printed, from another directory, and mesh up shows its outcome live.
        var calls = lines.Where(l => l.StartsWith($"  {wrapper} call ", StringComparison.Ordinal)).ToList();
        Assert.True(calls.Count >= 5, output);
        foreach (var call in calls)
        {
            var pasted = Process.Start(new ProcessStartInfo("bash", ["-c", call]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() })!;
            var answer = await pasted.StandardOutput.ReadToEndAsync(timeout.Token);
            var complaint = await pasted.StandardError.ReadToEndAsync(timeout.Token);
            await pasted.WaitForExitAsync(timeout.Token);
            Assert.True(pasted.ExitCode == 0, $"{call}\n{answer}{complaint}");
            Assert.NotEqual("", answer.Trim());
        }

        // And every printed curl line, through the gateway mesh up started: bearer calls and the public route.
        var curls = lines.Where(l => l.StartsWith("  curl ", StringComparison.Ordinal)).ToList();
        Assert.True(curls.Count > calls.Count, output);
        Assert.Contains(curls, c => c.Contains("/hello --data-binary Mesh", StringComparison.Ordinal) && !c.Contains("Authorization", StringComparison.Ordinal));
        foreach (var curl in curls)
        {
            var pasted = Process.Start(new ProcessStartInfo("bash", ["-c", curl]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() })!;
            var answer = await pasted.StandardOutput.ReadToEndAsync(timeout.Token);
            var complaint = await pasted.StandardError.ReadToEndAsync(timeout.Token);
            await pasted.WaitForExitAsync(timeout.Token);
            Assert.True(pasted.ExitCode == 0 && answer.Trim().Length > 0 && !answer.Contains("urn:mesh:error", StringComparison.Ordinal), $"{curl}\n{answer}{complaint}");
        }

        string? logged;
        while ((logged = await process.StandardOutput.ReadLineAsync(timeout.Token)) is not null && !Regex.IsMatch(logged, @"^  \d\d:\d\d:\d\d\.\d{3} echo ok "))
        {
        }

        Assert.NotNull(logged);
        File.Delete(wrapper);

        Process.Start("kill", ["-TERM", process.Id.ToString()])!.WaitForExit();
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(0, process.ExitCode);
        Assert.False(Directory.Exists(Path.GetDirectoryName(tokens)), "the temporary directory outlived mesh up");
        await using var after = new NatsConnection(new NatsOpts { Url = url, MaxReconnectRetry = 0 });
        await Assert.ThrowsAnyAsync<NatsException>(async () => await after.ConnectAsync());
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Watch_RedeploysAFunctionWhoseSourceChanged_AndItsPrintedLineRunsTheNewVersion()
    {
        var app = Directory.CreateTempSubdirectory("mesh-watch-");
        var examples = Path.Combine(MeshCluster.RepositoryRoot(), "examples", "wat");
        File.Copy(Path.Combine(examples, "echo.wat"), Path.Combine(app.FullName, "fn.wat"));
        await File.WriteAllTextAsync(Path.Combine(app.FullName, "mesh.yaml"), "functions:\n  fn:\n    module: fn.wat\n    example: hello\n");
        var wrapper = Path.Combine(app.FullName, "mesh.sh");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec dotnet '{Path.Combine(AppContext.BaseDirectory, "mesh.dll")}' \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "mesh.dll"), "up", "-f", Path.Combine(app.FullName, "mesh.yaml"), "--nodes", "1", "--watch"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["MESH_INVOKED_AS"] = wrapper;
        start.Environment["PATH"] = string.Join(':', (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Where(dir => !File.Exists(Path.Combine(dir, "mesh"))));
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            var call = "";
            await ReadUntilAsync(process, line =>
            {
                call = line.StartsWith($"  {wrapper} call fn ", StringComparison.Ordinal) ? line : call;
                return line.Contains("watching", StringComparison.Ordinal);
            }, timeout.Token);
            Assert.Equal("hello", await RunAsync(call, timeout.Token));

            File.Copy(Path.Combine(examples, "upper.wat"), Path.Combine(app.FullName, "fn.wat"), overwrite: true);
            await ReadUntilAsync(process, line => line.Contains("fn redeployed: sha256:", StringComparison.Ordinal), timeout.Token);

            Assert.Equal("HELLO", await RunAsync(call, timeout.Token));
        }
        finally
        {
            Process.Start("kill", ["-TERM", process.Id.ToString()])!.WaitForExit();
            await process.WaitForExitAsync(timeout.Token);
            app.Delete(recursive: true);
        }
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static async Task<bool> PrebuildCallsNpmAsync(string directory, string prebuild)
    {
        var fake = Directory.CreateTempSubdirectory("fake-npm-");
        var mark = Path.Combine(fake.FullName, "called");
        await File.WriteAllTextAsync(Path.Combine(fake.FullName, "npm"), $"#!/bin/sh\ntouch '{mark}'\n");
        File.SetUnixFileMode(Path.Combine(fake.FullName, "npm"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var start = new ProcessStartInfo("sh", ["-c", prebuild]) { WorkingDirectory = directory };
        start.Environment["PATH"] = fake.FullName + ":" + Environment.GetEnvironmentVariable("PATH");
        using var shell = Process.Start(start)!;
        await shell.WaitForExitAsync();
        var called = File.Exists(mark);
        fake.Delete(recursive: true);
        return called;
    }

    private static async Task ReadUntilAsync(Process process, Func<string, bool> done, CancellationToken cancellationToken)
    {
        string? line;
        while ((line = await process.StandardOutput.ReadLineAsync(cancellationToken)) is not null && !done(line))
        {
        }

        Assert.NotNull(line);
    }

    private static async Task<string> RunAsync(string commandLine, CancellationToken cancellationToken)
    {
        using var shell = Process.Start(new ProcessStartInfo("bash", ["-c", commandLine]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await shell.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = await shell.StandardError.ReadToEndAsync(cancellationToken);
        await shell.WaitForExitAsync(cancellationToken);
        Assert.True(shell.ExitCode == 0, $"{commandLine}\n{output}{error}");
        return output.Trim();
    }

    [Fact]
    public async Task DeployManifest_BuildsUploadsAndGrants_OnAnExistingMesh()
    {
        var mesh = await nats.SharedMeshAsync();
        var directory = Directory.CreateTempSubdirectory("mesh-deploy-");
        try
        {
            var seed = Path.Combine(directory.FullName, "issuer.seed");
            SeedFile.Write(seed, mesh.Issuer, force: false);
            var outDir = Path.Combine(directory.FullName, "tokens");

            var (exit, output, error) = await CliAsync("deploy", "-f", Manifest, "--key", seed, "--out", outDir, "--nats", mesh.Url);
            Assert.True(exit == 0, error);

            // Every line ends with a call that works when run.
            var shout = output.Split('\n').Single(l => l.StartsWith("shout\t", StringComparison.Ordinal));
            var call = shout.Split('\t')[2].Split(' ');
            Assert.Equal("mesh", call[0]);
            var (callExit, callOut, callError) = await CliAsync([.. call[1..].Select(a => a.Trim('\''))]);
            Assert.True(callExit == 0, callError);
            Assert.Equal("Hello, MESH!", callOut.Trim());
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(outDir, "shout.token")));
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [GeneratedRegex(@"seed: (\S+)\)")]
    private static partial Regex SeedLine();

    [GeneratedRegex(@"tokens in (\S+)\)")]
    private static partial Regex TokensLine();

    [GeneratedRegex(@"nats-server on (\S+) ")]
    private static partial Regex NatsLine();

    [GeneratedRegex(@"dashboard on (http://\S+) ")]
    private static partial Regex DashboardLine();
}
