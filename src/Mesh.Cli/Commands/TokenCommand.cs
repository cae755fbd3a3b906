using System.CommandLine;
using Mesh.Cli.Output;
using Mesh.Client;
using Mesh.Cli.Parsing;
using Mesh.Contracts.Keys;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;

namespace Mesh.Cli.Commands;

/// <summary><c>mesh token attenuate</c>, <c>mesh token inspect</c> and <c>mesh token revoke</c>.</summary>
public static class TokenCommand
{
    public static Command Build(CliContext context) =>
        new("token", "Work with tokens: narrow them, look inside them, revoke them") { Attenuate(context), Inspect(context), RevokeCommand.Build(context) };

    private static Argument<string> TokenArgumentOf() =>
        new("TOKEN") { Description = "The token: its text, @FILE, or - for standard input" };

    private static Command Attenuate(CliContext context)
    {
        var token = TokenArgumentOf();
        var function = new Option<string?>("--function") { Description = "Keep only this function, narrowed by the other options (needed when the token grants several)" };
        var audience = new Option<string?>("--audience") { Description = "Accept the token only on this function's subject" };
        var modules = new Option<string[]>("--module") { Description = "Keep only these modules (file or sha256:HEX). Repeatable" };
        var ttl = new Option<string?>("--ttl") { Description = "Expire this long from now (never later than the token already does)" };
        var maxDepth = new Option<int?>("--max-depth") { Description = "Lower the number of blocks that may follow the root" };
        var seal = new Option<bool>("--seal") { Description = "Seal the result so nothing more can be appended" };
        var noLog = new Option<bool>("--no-log") { Description = "Drop the log capability" };
        var noHttp = new Option<bool>("--no-http") { Description = "Drop every HTTP rule" };
        var noKv = new Option<bool>("--no-kv") { Description = "Drop every key-value rule" };
        var noPublish = new Option<bool>("--no-publish") { Description = "Drop every publish rule" };
        var noRequest = new Option<bool>("--no-request") { Description = "Drop every request rule" };
        var capabilities = new CapabilityOptions();
        var replyPrefix = new ReplyPrefixOption();

        var command = new Command("attenuate", "Append a block that narrows the token; prints the narrower token. Options not given stay as they are")
        {
            token, function, audience, modules, ttl, maxDepth, seal, noLog, noHttp, noKv, noPublish, noRequest, replyPrefix.Option,
        };
        capabilities.AddTo(command);
        command.SetAction(result =>
        {
            var bytes = TokenArgument.Read(result.GetValue(token)!, context);
            var current = SelfVerify(bytes);
            var values = capabilities.Read(result);
            if (result.GetValue(noLog))
            {
                values = values with { Log = false };
            }

            if (result.GetValue(noHttp))
            {
                values = values with { Http = [] };
            }

            if (result.GetValue(noKv))
            {
                values = values with { Kv = [] };
            }

            if (result.GetValue(noPublish))
            {
                values = values with { Publish = [] };
            }

            if (result.GetValue(noRequest))
            {
                values = values with { Request = [] };
            }

            var chosenModules = result.GetValue(modules) ?? [];
            var name = result.GetValue(function);
            var functions = current.Chain.Functions;
            if (name is null && (values.Any || chosenModules.Length > 0))
            {
                name = functions.Length == 1
                    ? functions[0].Function
                    : throw CliException.Usage($"the token grants {functions.Length} functions; say which with --function");
            }

            var claims = new BlockClaims
            {
                IssuedAt = context.Time.GetUtcNow().ToUnixTimeSeconds(),
                Expires = result.GetValue(ttl) is { } t ? context.Time.GetUtcNow().Add(Units.Duration(t, "--ttl")).ToUnixTimeSeconds() : null,
                MaxDepth = result.GetValue(maxDepth),
                Audience = result.GetValue(audience),
                ReplyPrefix = replyPrefix.Given(result),
                Functions = name is null ? null : [Narrow(functions, name, chosenModules, values)],
            };

            if (claims.Expires > current.Chain.Expires)
            {
                var left = TimeSpan.FromSeconds(Math.Max(0, current.Chain.Expires - context.Time.GetUtcNow().ToUnixTimeSeconds()));
                throw new CliException(ErrorCodes.ToWire(ErrorCode.TokenWidened), $"--ttl {result.GetValue(ttl)} would end after the token does ({DateTimeOffset.FromUnixTimeSeconds(current.Chain.Expires):yyyy-MM-dd HH:mm:ss} UTC, {Units.Describe(left)} from now); a narrower token cannot live longer");
            }

            var narrowed = CliException.Unwrap(TokenIssuer.Attenuate(bytes, claims, result.GetValue(seal)));
            context.Out.WriteLine(TokenCodec.ToText(narrowed));
            return 0;
        });
        return command;
    }

    private static FunctionGrant Narrow(IEnumerable<FunctionGrant> functions, string name, string[] modules, CapabilityValues values)
    {
        var basis = functions.FirstOrDefault(f => f.Function == name)
            ?? throw new CliException(ErrorCodes.ToWire(ErrorCode.TokenWidened), $"the token grants nothing to function '{name}'");
        return basis with
        {
            Modules = modules.Length == 0 ? basis.Modules : [.. modules.Select(ModuleReference.Resolve).Distinct()],
            Capabilities = values.Over(basis.Capabilities),
            Limits = values.OverLimits(basis.Limits),
        };
    }

    private static Command Inspect(CliContext context)
    {
        var token = TokenArgumentOf();
        var trust = new Option<string[]>("--trust") { Description = "A trusted issuer public key (O...). Repeatable. Without it, only the token's own consistency is checked" };
        var function = new Option<string?>("--function") { Description = "Also check the token for this function" };
        var module = new Option<string?>("--module") { Description = "Also check the token for this module (file or sha256:HEX)" };
        var command = new Command("inspect", "Print a token's blocks and what they allow as JSON, and whether (and why not) it verifies")
        {
            token, trust, function, module,
        };
        command.SetAction(result =>
        {
            var bytes = TokenArgument.Read(result.GetValue(token)!, context);
            var trusted = result.GetValue(trust) ?? [];
            foreach (var key in trusted)
            {
                if (!VerifyingKey.TryParse(key, out _, out var error))
                {
                    throw CliException.Usage($"--trust '{key}': {error}");
                }
            }

            var requestedModule = result.GetValue(module) is { } m ? ModuleReference.Resolve(m) : (Sha256Digest?)null;
            var report = TokenReport.Build(bytes, trusted, result.GetValue(function), requestedModule, context.Time);
            context.Out.WriteLine(report.Json);
            if (!report.Verified)
            {
                context.Error.WriteLine($"mesh: {ErrorCodes.ToWire(report.Error.Code)}: {report.Error.Message}");
                return 1;
            }

            return 0;
        });
        return command;
    }

    // Attenuating starts from what the token says: check its own signatures and chain first (not
    // its trust: only a node can decide that), so the user hears about a broken token here.
    private static VerifiedToken SelfVerify(byte[] bytes)
    {
        var envelope = CliException.Unwrap(TokenCodec.Decode(bytes));
        if (envelope.Version != TokenEnvelope.CurrentVersion || !VerifyingKey.TryImport(envelope.RootKey, out var root))
        {
            throw CliException.From(new MeshError(ErrorCode.TokenVersion, $"token version {envelope.Version} is not supported"));
        }

        return CliException.Unwrap(TokenVerifier.VerifyFromRoot(envelope, root!, int.MaxValue));
    }
}
