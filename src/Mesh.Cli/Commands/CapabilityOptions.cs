using System.Collections.Immutable;
using System.CommandLine;
using Mesh.Cli.Parsing;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Rules;

namespace Mesh.Cli.Commands;

/// <summary>
/// The capability and limit options that <c>grant</c> and <c>token attenuate</c> share. Each read
/// value is null when the option was not given, so attenuation can tell "unchanged" from "none".
/// </summary>
public sealed class CapabilityOptions
{
    private readonly Option<string[]> _http = new("--http")
    {
        Description = "Allow HTTP: '[METHODS ]scheme://host[:port][/path-prefix]', e.g. 'GET,POST https://api.stripe.com/v1/'. Host may be '*.suffix'. Methods default to GET,HEAD. Repeatable",
    };

    private readonly Option<string[]> _secret = new("--secret")
    {
        Description = "Bind a secret to the --http rule given just before it: 'NAME:Header=template {}', e.g. 'stripe:Authorization=Bearer {}'. The node adds the header to requests that rule allows; the function never sees it. Repeatable",
    };

    private readonly Option<string[]> _kv = new("--kv")
    {
        Description = "Allow key-value access: 'BUCKET[/KEY-PREFIX][:get,put,delete,list]' (default get). Repeatable",
    };

    private readonly Option<string[]> _publish = new("--publish") { Description = "Allow publishing to a subject pattern (NATS wildcards). Repeatable" };
    private readonly Option<string[]> _request = new("--request") { Description = "Allow requests to a subject pattern (NATS wildcards). Repeatable" };
    private readonly Option<bool> _log = new("--log") { Description = "Allow the function to write log lines" };
    private readonly Option<string?> _fuel = new("--fuel") { Description = "Fuel (wasm instructions, roughly) per invocation" };
    private readonly Option<string?> _memory = new("--memory") { Description = "Linear memory per invocation, e.g. 16MiB" };
    private readonly Option<string?> _wallTime = new("--wall-time") { Description = "Wall-clock time per invocation, e.g. 2s" };
    private readonly Option<string?> _output = new("--output-limit") { Description = "Output bytes per invocation, e.g. 1MiB" };
    private readonly Option<string?> _hostCalls = new("--host-calls") { Description = "Host calls per invocation" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _http, _secret, _kv, _publish, _request, _log, _fuel, _memory, _wallTime, _output, _hostCalls })
        {
            command.Add(option);
        }
    }

    public CapabilityValues Read(ParseResult result) => new(
        Given(result, _log) ? result.GetValue(_log) : null,
        Given(result, _http) ? WithSecrets(result, [.. result.GetValue(_http)!.Select(ParseHttp)]) : Given(result, _secret) ? throw CliException.Usage("--secret binds to the --http rule before it: give that rule first") : null,
        Given(result, _kv) ? [.. result.GetValue(_kv)!.Select(ParseKv)] : null,
        Given(result, _publish) ? [.. result.GetValue(_publish)!.Select(s => Subject(s, "--publish"))] : null,
        Given(result, _request) ? [.. result.GetValue(_request)!.Select(s => Subject(s, "--request"))] : null,
        new Limits(
            Fuel: result.GetValue(_fuel) is { } fuel ? Units.Count(fuel, "--fuel") : null,
            MemoryBytes: result.GetValue(_memory) is { } memory ? Units.Size(memory, "--memory") : null,
            WallTimeMs: result.GetValue(_wallTime) is { } wall ? (long)Units.Duration(wall, "--wall-time").TotalMilliseconds : null,
            OutputBytes: result.GetValue(_output) is { } output ? Units.Size(output, "--output-limit") : null,
            HostCalls: result.GetValue(_hostCalls) is { } calls ? Units.Count(calls, "--host-calls") : null));

    private static bool Given(ParseResult result, Option option) => result.GetResult(option) is { Implicit: false };

    // Each --secret belongs to the --http given before it on the command line.
    private ImmutableArray<HttpRule> WithSecrets(ParseResult result, ImmutableArray<HttpRule> rules)
    {
        var http = rules.ToBuilder();
        string? option = null;
        var index = -1;
        foreach (var token in result.Tokens)
        {
            if (token.Type == System.CommandLine.Parsing.TokenType.Option)
            {
                option = token.Value;
                continue;
            }

            if (option == _http.Name)
            {
                index++;
            }
            else if (option == _secret.Name)
            {
                if (index < 0)
                {
                    throw CliException.Usage($"--secret '{token.Value}' binds to the --http rule before it: give that rule first");
                }

                if (!RuleText.TryParseSecret(token.Value, out var secret, out var error))
                {
                    throw CliException.Usage($"--secret: {error}");
                }

                var bound = http[index] with { Secrets = http[index].Secrets.Add(secret!) };
                http[index] = bound.Validate() is { } invalid ? throw CliException.Usage($"--secret '{token.Value}': {invalid}") : bound;
            }

            option = null;
        }

        return http.ToImmutable();
    }

    private static HttpRule ParseHttp(string text) =>
        RuleText.TryParseHttp(text, out var rule, out var error) ? rule! : throw CliException.Usage($"--http '{text}': {error}");

    private static KvRule ParseKv(string text) =>
        RuleText.TryParseKv(text, out var rule, out var error) ? rule! : throw CliException.Usage($"--kv '{text}': {error}");

    private static string Subject(string text, string option) =>
        SubjectPattern.IsValid(text) ? text : throw CliException.Usage($"{option} '{text}' is not a valid subject pattern");
}

/// <summary>What the capability options said; null where an option was not given.</summary>
public sealed record CapabilityValues(
    bool? Log,
    ImmutableArray<HttpRule>? Http,
    ImmutableArray<KvRule>? Kv,
    ImmutableArray<string>? Publish,
    ImmutableArray<string>? Request,
    Limits Limits)
{
    public bool Any => Log is not null || Http is not null || Kv is not null || Publish is not null || Request is not null || Limits != Limits.None;

    /// <summary>These values over a base: given options replace, the rest carry over.</summary>
    public CapabilitySet Over(CapabilitySet basis) => new(
        Log ?? basis.Log, Http ?? basis.Http, Kv ?? basis.Kv, Publish ?? basis.Publish, Request ?? basis.Request);

    public Limits OverLimits(Limits basis) => new(
        Limits.Fuel ?? basis.Fuel, Limits.MemoryBytes ?? basis.MemoryBytes, Limits.WallTimeMs ?? basis.WallTimeMs,
        Limits.OutputBytes ?? basis.OutputBytes, Limits.HostCalls ?? basis.HostCalls);
}
