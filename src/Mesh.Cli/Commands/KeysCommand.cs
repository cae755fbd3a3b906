using System.CommandLine;
using Mesh.Cli.Parsing;
using Mesh.Contracts.Keys;

namespace Mesh.Cli.Commands;

/// <summary><c>mesh keys new --out FILE</c> and <c>mesh keys public --key FILE</c>.</summary>
public static class KeysCommand
{
    public static Command Build(CliContext context)
    {
        var output = new Option<string>("--out") { Description = "Seed file to write (created with mode 0600)", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace the file if it exists" };
        var create = new Command("new", "Make an issuer key: writes its seed to --out and prints its public key") { output, force };
        create.SetAction(result =>
        {
            using var key = SigningKey.Generate();
            SeedFile.Write(result.GetValue(output)!, key, result.GetValue(force));
            context.Out.WriteLine(key.PublicKeyText);
            return 0;
        });

        var seed = new KeyOption(context, "Seed file");
        var show = new Command("public", "Print the public key of a seed file") { seed.Option };
        show.SetAction(result =>
        {
            using var key = SeedFile.Read(seed.Path(result));
            context.Out.WriteLine(key.PublicKeyText);
            return 0;
        });

        return new Command("keys", "Issuer keys (Ed25519, in NATS nkey text form)") { create, show };
    }
}
