using System.CommandLine;
using System.Text.Json;
using Mesh.Contracts.Wire;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>mesh new NAME [--lang as|rust|c]</c>: a function that builds with one command and runs
/// with another (<c>mesh up -f NAME/mesh.yaml</c>, which runs the build first). The language's SDK
/// is copied in, so the new directory builds anywhere its toolchain is: AssemblyScript with
/// <c>npm run build</c> (npm fetches the compiler), Rust with <c>sh build.sh</c> (cargo, offline,
/// for wasm32-wasi), C with <c>sh build.sh</c> (clang and wasi-libc).
/// </summary>
public static class NewCommand
{
    private static readonly string[] Languages = ["as", "rust", "c"];

    public static Command Build(CliContext context)
    {
        var name = new Argument<string>("NAME") { Description = "The function's name (letters, digits, - and _); also the directory made" };
        var directory = new Option<string>("--dir") { Description = "Where to make it", DefaultValueFactory = _ => "." };
        var language = new Option<string>("--lang") { Description = "as (AssemblyScript), rust or c", DefaultValueFactory = _ => "as" };
        language.AcceptOnlyFromAmong(Languages);
        var command = new Command("new", "Scaffold a function (AssemblyScript, Rust or C); mesh up -f NAME/mesh.yaml builds and runs it") { name, directory, language };
        command.SetAction(async (result, cancellationToken) =>
        {
            var function = result.GetValue(name)!;
            if (!FunctionName.IsValid(function))
            {
                throw CliException.Usage($"'{function}' is not a valid function name (letters, digits, - and _)");
            }

            var root = Path.Combine(result.GetValue(directory)!, function);
            if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
            {
                throw new CliException("io", $"'{root}' exists and is not empty");
            }

            var lang = result.GetValue(language)!;
            var build = lang == "as" ? "npm run build" : "sh build.sh";
            var version = JsonDocument.Parse(Template("sdk-package.json")).RootElement.GetProperty("devDependencies").GetProperty("assemblyscript").GetString()!;
            string Fill(string template) => Template(template)
                .Replace("__NAME__", function, StringComparison.Ordinal)
                .Replace("__ASC_VERSION__", version, StringComparison.Ordinal)
                .Replace("__BUILD__", build, StringComparison.Ordinal);
            var files = lang switch
            {
                "rust" => new Dictionary<string, string>
                {
                    ["Cargo.toml"] = Fill("rust-Cargo.toml.template"),
                    ["src/main.rs"] = Fill("rust-main.rs.template"),
                    ["build.sh"] = Fill("rust-build.sh.template"),
                    ["mesh/Cargo.toml"] = Template("sdk-rust-Cargo.toml"),
                    ["mesh/src/lib.rs"] = Template("sdk-rust-lib.rs"),
                    ["mesh/src/msgpack.rs"] = Template("sdk-rust-msgpack.rs"),
                },
                "c" => new Dictionary<string, string>
                {
                    ["main.c"] = Fill("c-main.c.template"),
                    ["mesh.h"] = Template("mesh.h"),
                    ["build.sh"] = Fill("c-build.sh.template"),
                },
                _ => new Dictionary<string, string>
                {
                    ["assembly/index.ts"] = Fill("index.ts.template"),
                    ["assembly/mesh.ts"] = Template("mesh.ts"),
                    ["package.json"] = Fill("package.json.template"),
                },
            };
            files["mesh.yaml"] = Fill("mesh.yaml.template");
            files[".gitignore"] = Template("gitignore.template");
            foreach (var (file, text) in files)
            {
                var path = Path.Combine(root, file);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllTextAsync(path, text, cancellationToken);
            }

            await context.Out.WriteLineAsync(root);
            await context.Error.WriteLineAsync($"mesh: made {root}. Build it: (cd {root} && {build}). Run it: ./mesh up -f {Path.Combine(root, "mesh.yaml")}");
            return 0;
        });
        return command;
    }
    private static string Template(string name)
    {
        using var stream = typeof(NewCommand).Assembly.GetManifestResourceStream($"Templates/{name}")
            ?? throw new InvalidOperationException($"template {name} is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
