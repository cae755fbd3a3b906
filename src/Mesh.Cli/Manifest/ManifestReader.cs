using System.Collections.Immutable;
using Mesh.Cli.Parsing;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Rules;
using Mesh.Contracts.Triggers;
using Mesh.Contracts.Wire;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Mesh.Cli.Manifest;

/// <summary>
/// Reads a <c>mesh.yaml</c> strictly: unknown fields are errors (an ignored capability line would
/// be a surprise), and every error names the file, line, column and field, as
/// <c>mesh.yaml:12:11: functions.hello.limits.fuel: '12x' is not a positive whole number</c>.
/// Capability rules use the same text as <c>mesh grant</c>.
/// </summary>
public static class ManifestReader
{
    private static readonly string[] TopFields = ["name", "functions", "buckets", "tokens"];
    private static readonly string[] FunctionFields = ["module", "build", "log", "http", "kv", "publish", "request", "limits", "then", "example", "route", "public", "cookies", "active", "idempotent", "schedule"];
    private static readonly string[] LimitFields = ["fuel", "memory", "wallTime", "output", "hostCalls"];
    private static readonly string[] TokenFields = ["ttl", "maxDepth", "triggerTtl"];
    private static readonly string[] ScheduleFields = ["cron", "input"];

    public static AppManifest Read(string path)
    {
        path = Path.GetFullPath(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException("io", $"cannot read '{path}': {e.Message}");
        }

        return Parse(text, path);
    }

    public static AppManifest Parse(string text, string path)
    {
        var file = Path.GetFileName(path);
        var yaml = new YamlStream();
        try
        {
            yaml.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw Error(file, e.Start, "", e.InnerException?.Message ?? e.Message);
        }

        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new CliException("manifest", $"{file}: expected a mapping with 'functions'");
        }

        var reader = new Reader(file, Path.GetDirectoryName(path)!);
        reader.Fields(root, "", TopFields);
        var functionsNode = reader.Required<YamlMappingNode>(root, "functions", "");
        var functions = functionsNode.Children.Select(entry => reader.Function(entry.Key, entry.Value)).ToImmutableArray();
        if (functions.IsEmpty)
        {
            throw Error(file, functionsNode.Start, "functions", "declares no function");
        }

        foreach (var function in functions)
        {
            foreach (var next in function.Then.Where(n => functions.All(f => f.Name != n)))
            {
                throw new CliException("manifest", $"{file}:{function.Line}: functions.{function.Name}.then: '{next}' is not a function of this manifest");
            }
        }

        var buckets = root.Children.TryGetValue("buckets", out var bucketsNode)
            ? reader.Strings(bucketsNode, "buckets", b => KvRule.IsValidBucket(b) ? null : "is not a valid bucket name (letters, digits, - and _)")
            : [];
        var ttl = TimeSpan.FromDays(1);
        var triggerTtl = TimeSpan.FromDays(30);
        var maxDepth = 4;
        if (root.Children.TryGetValue("tokens", out var tokensNode))
        {
            var tokens = reader.Expect<YamlMappingNode>(tokensNode, "tokens");
            reader.Fields(tokens, "tokens", TokenFields);
            if (tokens.Children.TryGetValue("ttl", out var ttlNode))
            {
                ttl = reader.Convert(ttlNode, "tokens.ttl", (v, f) => Units.Duration(v, f));
            }

            if (tokens.Children.TryGetValue("triggerTtl", out var triggerNode))
            {
                triggerTtl = reader.Convert(triggerNode, "tokens.triggerTtl", (v, f) => Units.Duration(v, f));
            }

            if (tokens.Children.TryGetValue("maxDepth", out var depthNode))
            {
                maxDepth = (int)reader.Convert(depthNode, "tokens.maxDepth", (v, f) => Units.Count(v, f));
            }
        }

        // The application's name scopes its routes and schedules (a deploy replaces only its own):
        // the 'name' field, else the manifest's directory, as docker compose names a project.
        var name = root.Children.TryGetValue("name", out var nameNode)
            ? reader.Convert(nameNode, "name", (v, f) => TriggerBuckets.AppName(v) == v && v.Length > 0 ? v : throw CliException.Usage($"{f}: '{v}' is not a valid name (letters, digits, - and _, at most 64)"))
            : TriggerBuckets.AppName(Path.GetFileName(Path.GetDirectoryName(path)!)) is { Length: > 0 } directory ? directory : "app";
        var routes = functions.Where(f => f.Route is not null).GroupBy(f => (f.Route!.Method, f.Route.Path)).FirstOrDefault(g => g.Count() > 1);
        if (routes is not null)
        {
            throw new CliException("manifest", $"{file}: route {routes.Key.Method} {routes.Key.Path} is declared by {string.Join(" and ", routes.Select(f => f.Name))}");
        }

        return new AppManifest(path, functions, buckets, ttl, maxDepth) { Name = name, TriggerTtl = triggerTtl };
    }

    private static CliException Error(string file, Mark mark, string field, string message) =>
        new("manifest", $"{file}:{mark.Line}:{mark.Column}: {(field.Length == 0 ? "" : field + ": ")}{message}");

    private sealed class Reader(string file, string directory)
    {
        public FunctionSpec Function(YamlNode key, YamlNode value)
        {
            var name = Scalar(key, "functions");
            var field = $"functions.{name}";
            if (!FunctionName.IsValid(name))
            {
                throw Error(file, key.Start, field, $"'{name}' is not a valid function name (letters, digits, - and _)");
            }

            var spec = Expect<YamlMappingNode>(value, field);
            Fields(spec, field, FunctionFields);
            var module = Path.GetFullPath(Path.Combine(directory, Scalar(Required<YamlScalarNode>(spec, "module", field), field + ".module")));
            string? build = spec.Children.TryGetValue("build", out var buildNode) ? Scalar(buildNode, field + ".build") : null;
            var log = spec.Children.TryGetValue("log", out var logNode) && Convert(logNode, field + ".log", (v, f) => v switch
            {
                "true" => true,
                "false" => false,
                _ => throw CliException.Usage($"{f}: '{v}' is not true or false"),
            });
            ImmutableArray<T> List<T>(string name, Func<string, string, T> parse) =>
                spec.Children.TryGetValue(name, out var node) ? [.. Items(node, $"{field}.{name}").Select(item => Convert(item, $"{field}.{name}", parse))] : [];

            var capabilities = new CapabilitySet(
                log,
                List("http", (v, f) => RuleText.TryParseHttp(v, out var rule, out var error) ? rule! : throw CliException.Usage($"{f}: '{v}': {error}")),
                List("kv", (v, f) => RuleText.TryParseKv(v, out var rule, out var error) ? rule! : throw CliException.Usage($"{f}: '{v}': {error}")),
                List("publish", Subject),
                List("request", Subject));
            if (capabilities.Validate() is { } invalid)
            {
                throw Error(file, value.Start, field, invalid);
            }

            RouteSpec? route = null;
            if (spec.Children.TryGetValue("route", out var routeNode))
            {
                route = Convert(routeNode, field + ".route", (v, f) => RouteSpec.TryParse(v, out var parsed, out var problem) ? parsed! : throw CliException.Usage($"{f}: {problem}"));
            }

            // Each says something of the route, so each needs one.
            bool? RouteFlag(string name)
            {
                if (!spec.Children.TryGetValue(name, out var node))
                {
                    return null;
                }

                var flag = Convert(node, $"{field}.{name}", (v, f) => v switch
                {
                    "true" => true,
                    "false" => false,
                    _ => throw CliException.Usage($"{f}: '{v}' is not true or false"),
                });
                return route is null ? throw Error(file, node.Start, $"{field}.{name}", "needs a route (route: POST /path)") : flag;
            }

            var (isPublic, cookies, active, idempotent) = (RouteFlag("public"), RouteFlag("cookies"), RouteFlag("active"), RouteFlag("idempotent"));
            if (route is not null)
            {
                route = route with { Public = isPublic ?? false, Cookies = cookies ?? false, Active = active ?? false, Idempotent = idempotent ?? false };
            }

            var schedule = spec.Children.TryGetValue("schedule", out var scheduleNode) ? Schedule(scheduleNode, field + ".schedule") : null;
            var then = List("then", (v, f) => FunctionName.IsValid(v) ? v : throw CliException.Usage($"{f}: '{v}' is not a valid function name"));
            return new FunctionSpec(name, module, build, capabilities, Limits(spec, field), then, (int)key.Start.Line)
            {
                Example = spec.Children.TryGetValue("example", out var example) ? Scalar(example, field + ".example") : null,
                Route = route,
                Schedule = schedule,
            };
        }

        // A cron expression, or { cron, input }.
        private ScheduleSpec Schedule(YamlNode node, string field)
        {
            string cron;
            var input = "";
            if (node is YamlMappingNode mapping)
            {
                Fields(mapping, field, ScheduleFields);
                cron = Scalar(Required<YamlScalarNode>(mapping, "cron", field), field + ".cron");
                input = mapping.Children.TryGetValue("input", out var inputNode) ? Scalar(inputNode, field + ".input") : "";
            }
            else
            {
                cron = Scalar(node, field);
            }

            if (Mesh.Client.Declarations.ScheduleClock.Parse(cron, out var problem) is null)
            {
                throw Error(file, node.Start, field, problem);
            }

            return new ScheduleSpec(cron, input);
        }

        private Limits Limits(YamlMappingNode spec, string field)
        {
            if (!spec.Children.TryGetValue("limits", out var node))
            {
                return Contracts.Tokens.Limits.None;
            }

            var limits = Expect<YamlMappingNode>(node, field + ".limits");
            Fields(limits, field + ".limits", LimitFields);
            long? Get(string name, Func<string, string, long> parse) =>
                limits.Children.TryGetValue(name, out var value) ? Convert(value, $"{field}.limits.{name}", parse) : null;
            return new Limits(
                Get("fuel", Units.Count),
                Get("memory", Units.Size),
                Get("wallTime", (v, f) => (long)Units.Duration(v, f).TotalMilliseconds),
                Get("output", Units.Size),
                Get("hostCalls", Units.Count));
        }

        private static string Subject(string value, string field) =>
            SubjectPattern.IsValid(value) ? value : throw CliException.Usage($"{field}: '{value}' is not a valid subject pattern");

        public void Fields(YamlMappingNode node, string field, string[] known)
        {
            foreach (var key in node.Children.Keys)
            {
                var name = Scalar(key, field);
                if (!known.Contains(name))
                {
                    var where = field.Length == 0 ? name : $"{field}.{name}";
                    throw Error(file, key.Start, where, $"unknown field (known here: {string.Join(", ", known)})");
                }
            }
        }

        public T Required<T>(YamlMappingNode node, string name, string field)
            where T : YamlNode
        {
            var where = field.Length == 0 ? name : $"{field}.{name}";
            return node.Children.TryGetValue(name, out var value) ? Expect<T>(value, where) : throw Error(file, node.Start, where, "is required");
        }

        public T Expect<T>(YamlNode node, string field)
            where T : YamlNode =>
            node as T ?? throw Error(file, node.Start, field, $"expected {(typeof(T) == typeof(YamlMappingNode) ? "a mapping" : typeof(T) == typeof(YamlSequenceNode) ? "a list" : "a value")}");

        public string Scalar(YamlNode node, string field) => Expect<YamlScalarNode>(node, field).Value ?? "";

        public IEnumerable<YamlNode> Items(YamlNode node, string field) => Expect<YamlSequenceNode>(node, field).Children;

        public ImmutableArray<string> Strings(YamlNode node, string field, Func<string, string?> check) =>
        [
            .. Items(node, field).Select(item =>
            {
                var value = Scalar(item, field);
                return check(value) is { } problem ? throw Error(file, item.Start, field, $"'{value}' {problem}") : value;
            }),
        ];

        /// <summary>A scalar through a parser that throws usage errors; the error gets this node's place.</summary>
        public T Convert<T>(YamlNode node, string field, Func<string, string, T> parse)
        {
            var value = Scalar(node, field);
            try
            {
                return parse(value, field);
            }
            catch (CliException e)
            {
                var message = e.Message.StartsWith(field + ": ", StringComparison.Ordinal) ? e.Message[(field.Length + 2)..] : e.Message;
                throw Error(file, node.Start, field, message);
            }
        }
    }
}
