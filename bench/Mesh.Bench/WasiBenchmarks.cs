using BenchmarkDotNet.Attributes;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node;
using Mesh.Node.Sandbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Mesh.Bench;

/// <summary>
/// What WASI costs in the node's sandbox, against a plain <c>run</c> module in the same run: one
/// invocation of an echo with a 64-byte input, each in a fresh store, through the node's own
/// wiring (<see cref="Invoker"/>, every capability's host calls on the linker), a new invocation
/// context per call as the node makes one. The same echo written against WASI in WAT isolates
/// the ABI (<c>_start</c>, <c>fd_read</c>, <c>fd_write</c>); the C (wasi-libc, 2 pages) and Rust
/// (std, 17 pages: its 1 MiB stack) programs add their toolchain's start-up and memory, so the WAT
/// echoes run at 1 and 17 pages too. Built by bench/wasi/build.sh.
/// </summary>
[MemoryDiagnoser]
public class WasiBenchmarks
{
    private const string WasiEchoText = """
        (module
          (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") PAGES)
          (func (export "_start")
            (local $n i32)
            (loop $more
              (i32.store (i32.const 0) (i32.const 1024))
              (i32.store (i32.const 4) (i32.const 60000))
              (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)) (then unreachable))
              (local.set $n (i32.load (i32.const 16)))
              (if (local.get $n)
                (then
                  (i32.store (i32.const 4) (local.get $n))
                  (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)) (then unreachable))
                  (br $more))))))
        """;

    private readonly byte[] _input = new byte[64];
    private IHost _node = null!;
    private Invoker _invoker = null!;
    private readonly Dictionary<string, (CompiledModule Module, Grant Grant, EffectiveLimits Limits)> _modules = [];

    [GlobalSetup]
    public void Setup()
    {
        using var issuer = SigningKey.Generate();
        _node = NodeHost.Build([], [new("Mesh:Tokens:TrustedRoots:0", issuer.PublicKeyText)]);
        var engine = _node.Services.GetRequiredService<WasmEngine>();
        var ceilings = _node.Services.GetRequiredService<IOptions<NodeOptions>>().Value.Ceilings;
        _invoker = _node.Services.GetRequiredService<Invoker>();
        var verifier = new TokenVerifier(new TokenVerifierOptions { TrustedRoots = [issuer.PublicKeyText] }, TimeProvider.System);
        var built = Path.Combine(RepositoryRoot(), "bench", "wasi", "build");
        var modules = new Dictionary<string, byte[]>
        {
            ["plain-1"] = Wasmtime.Module.ConvertText(BenchMesh.EchoText),
            ["plain-17"] = Wasmtime.Module.ConvertText(BenchMesh.EchoText.Replace("(memory (export \"memory\") 1)", "(memory (export \"memory\") 17)", StringComparison.Ordinal)),
            ["wasi-1"] = Wasmtime.Module.ConvertText(WasiEchoText.Replace("PAGES", "1", StringComparison.Ordinal)),
            ["wasi-17"] = Wasmtime.Module.ConvertText(WasiEchoText.Replace("PAGES", "17", StringComparison.Ordinal)),
            ["c"] = File.ReadAllBytes(Path.Combine(built, "echo-c.wasm")),
            ["rust"] = File.ReadAllBytes(Path.Combine(built, "echo-rust.wasm")),
        };
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        foreach (var (name, wasm) in modules)
        {
            var digest = Sha256Digest.Of(wasm);
            var token = TokenIssuer.Issue(issuer, new BlockClaims
            {
                TokenId = TokenIssuer.NewTokenId(),
                IssuedAt = now,
                Expires = now + 3600,
                MaxDepth = 1,
                Functions = [new FunctionGrant("echo", [digest], CapabilitySet.None, Limits.None)],
            });
            var grant = verifier.Verify(token.Value!, "echo", digest).Value!;
            var compiled = ModuleCompiler.Compile(engine, digest, wasm).Value!;
            _modules[name] = (compiled, grant, EffectiveLimits.From(grant.Limits, ceilings));
            if (Invoke(name) != _input.Length)
            {
                throw new InvalidOperationException($"the {name} echo did not echo");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var (module, _, _) in _modules.Values)
        {
            module.Dispose();
        }

        _node.Dispose();
    }

    private int Invoke(string name)
    {
        var (module, grant, limits) = _modules[name];
        using var context = new InvocationContext(grant, _input, limits, "bench");
        return _invoker.Invoke(module, context).Code == ErrorCode.None ? context.OutputLength : -1;
    }

    [Benchmark(Baseline = true, Description = "plain: run() with read_input/write_output, 1 page")]
    public int Plain1() => Invoke("plain-1");

    [Benchmark(Description = "WASI: _start with fd_read/fd_write (WAT), 1 page")]
    public int Wasi1() => Invoke("wasi-1");

    [Benchmark(Description = "plain: run() with read_input/write_output, 17 pages")]
    public int Plain17() => Invoke("plain-17");

    [Benchmark(Description = "WASI: _start with fd_read/fd_write (WAT), 17 pages")]
    public int Wasi17() => Invoke("wasi-17");

    [Benchmark(Description = "WASI: C main() with wasi-libc, 2 pages")]
    public int C() => Invoke("c");

    [Benchmark(Description = "WASI: Rust main() with std, 17 pages")]
    public int Rust() => Invoke("rust");

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Mesh.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Mesh.sln not found above the benchmark");
    }
}
