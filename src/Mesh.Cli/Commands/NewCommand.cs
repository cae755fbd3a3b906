using System.CommandLine;
using System.Text.Json;
using Mesh.Contracts.Wire;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>mesh new NAME</c>: a function in AssemblyScript that builds with one command
/// (<c>npm run build</c>) and runs with another (<c>mesh up -f NAME/mesh.yaml</c>). The SDK is
/// copied in (assembly/mesh.ts), so the new directory builds anywhere npm can fetch the compiler.
/// </summary>
public static class NewCommand
{
    public static Command Build(CliContext context)
    {
        var name = new Argument<string>("NAME") { Description = "The function's name (letters, digits, - and _); also the directory made" };
        var directory = new Option<string>("--dir") { Description = "Where to make it", DefaultValueFactory = _ => "." };
        var command = new Command("new", "Scaffold a function in AssemblyScript: npm run build, then mesh up -f NAME/mesh.yaml") { name, directory };
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

            var version = JsonDocument.Parse(Template("sdk-package.json")).RootElement.GetProperty("devDependencies").GetProperty("assemblyscript").GetString()!;
            string Fill(string template) => Template(template).Replace("__NAME__", function, StringComparison.Ordinal).Replace("__ASC_VERSION__", version, StringComparison.Ordinal);
            Directory.CreateDirectory(Path.Combine(root, "assembly"));
            await File.WriteAllTextAsync(Path.Combine(root, "assembly", "index.ts"), Fill("index.ts.template"), cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(root, "assembly", "mesh.ts"), Template("mesh.ts"), cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(root, "package.json"), Fill("package.json.template"), cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(root, "mesh.yaml"), Fill("mesh.yaml.template"), cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(root, ".gitignore"), Template("gitignore.template"), cancellationToken);
            await context.Out.WriteLineAsync(root);
            await context.Error.WriteLineAsync($"mesh: made {root}. Build it: (cd {root} && npm run build). Run it: ./mesh up -f {Path.Combine(root, "mesh.yaml")}");
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
