using System.CommandLine;
using Mesh.Cli.Parsing;
using Mesh.Contracts.Tokens;

namespace Mesh.Cli.Commands;

/// <summary><c>mesh grant</c>: issue a root token for one function, signed with an issuer key.</summary>
public static class GrantCommand
{
    public static Command Build(CliContext context)
    {
        var key = new KeyOption(context, "Issuer seed file (from 'mesh keys new')");
        var function = new Option<string>("--function") { Description = "Function name (the subject after mesh.fn.)", Required = true };
        var modules = new Option<string[]>("--module")
        {
            Description = "Module the function may run: a .wasm file (its digest is taken) or sha256:HEX. Repeatable",
            Required = true,
        };
        var ttl = new Option<string>("--ttl") { Description = "How long the token is valid, e.g. 15m, 1h, 7d", DefaultValueFactory = _ => "1h" };
        var maxDepth = new Option<int>("--max-depth") { Description = "How many narrowing blocks may be appended (chain hops included)", DefaultValueFactory = _ => 4 };
        var seal = new Option<bool>("--seal") { Description = "Seal the token so nothing can be appended" };
        var then = new Option<string[]>("--then") { Description = "A function the output goes to next (a declared chain; several fan out). Repeatable" };
        var steps = new Option<string[]>("--step")
        {
            Description = "A further function of the chain, with no capabilities: 'NAME=MODULE' or 'NAME=MODULE>NEXT[,NEXT...]'. Repeatable",
        };
        var capabilities = new CapabilityOptions();
        var replyPrefix = new ReplyPrefixOption();

        var command = new Command("grant", "Issue a token that lets a function run a module with the given capabilities; prints the token")
        {
            key.Option, function, modules, ttl, maxDepth, seal, then, steps, replyPrefix.Option, replyPrefix.None,
        };
        capabilities.AddTo(command);
        command.SetAction(result =>
        {
            var name = result.GetValue(function)!;
            var values = capabilities.Read(result);
            var now = context.Time.GetUtcNow().ToUnixTimeSeconds();
            var claims = new BlockClaims
            {
                TokenId = TokenIssuer.NewTokenId(),
                IssuedAt = now,
                NotBefore = now,
                Expires = now + (long)Units.Duration(result.GetValue(ttl)!, "--ttl").TotalSeconds,
                MaxDepth = result.GetValue(maxDepth),
                ReplyPrefix = replyPrefix.ForGrant(result, context),
                Functions =
                [
                    new FunctionGrant(
                        name,
                        [.. result.GetValue(modules)!.Select(ModuleReference.Resolve).Distinct()],
                        values.Over(CapabilitySet.None),
                        values.Limits)
                    {
                        Then = [.. result.GetValue(then) ?? []],
                    },
                    .. (result.GetValue(steps) ?? []).Select(ParseStep),
                ],
            };

            using var issuer = SeedFile.Read(key.Path(result));
            var token = CliException.Unwrap(TokenIssuer.Issue(issuer, claims, result.GetValue(seal)));
            context.Out.WriteLine(TokenCodec.ToText(token));
            return 0;
        });
        return command;
    }

    // 'NAME=MODULE>NEXT,NEXT': a chain step that only computes and hands on.
    private static FunctionGrant ParseStep(string text)
    {
        var equals = text.IndexOf('=');
        if (equals <= 0)
        {
            throw CliException.Usage($"--step '{text}': expected NAME=MODULE or NAME=MODULE>NEXT[,NEXT...]");
        }

        var rest = text[(equals + 1)..];
        var arrow = rest.IndexOf('>');
        var module = arrow < 0 ? rest : rest[..arrow];
        var next = arrow < 0 ? [] : rest[(arrow + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new FunctionGrant(text[..equals], [ModuleReference.Resolve(module)], CapabilitySet.None, Limits.None) { Then = [.. next] };
    }
}
