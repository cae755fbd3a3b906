using System.Collections.Immutable;
using Mesh.Contracts.Tokens;

namespace Mesh.Cli.Manifest;

/// <summary>
/// A <c>mesh.yaml</c>: the functions of an application, each with its module (and how to build
/// it), its capabilities, limits and next steps; the key-value buckets it needs; and how long the
/// tokens issued for it live. Paths are absolute, resolved against the manifest's directory.
/// </summary>
public sealed record AppManifest(
    string Path,
    ImmutableArray<FunctionSpec> Functions,
    ImmutableArray<string> Buckets,
    TimeSpan TokenTtl,
    int MaxDepth)
{
    public string Directory => System.IO.Path.GetDirectoryName(Path)!;

    /// <summary>The application's name: its routes and schedules are kept under it, and a deploy replaces only its own.</summary>
    public string Name { get; init; } = "app";

    /// <summary>How long route and schedule tokens live: they outlast call tokens, or a schedule would stop after a day.</summary>
    public TimeSpan TriggerTtl { get; init; } = TimeSpan.FromDays(30);

    /// <summary>
    /// The functions a token for <paramref name="entry"/> must grant: itself, its next steps, and
    /// the functions it calls by literal subject, transitively. Nothing else: each entry point gets
    /// a token with exactly the authority its calls need.
    /// </summary>
    public ImmutableArray<FunctionSpec> Reachable(FunctionSpec entry)
    {
        var byName = Functions.ToDictionary(f => f.Name);
        var seen = new List<FunctionSpec>();
        var pending = new Queue<FunctionSpec>([entry]);
        while (pending.TryDequeue(out var function))
        {
            if (seen.Contains(function))
            {
                continue;
            }

            seen.Add(function);
            foreach (var next in function.Calls().Where(byName.ContainsKey))
            {
                pending.Enqueue(byName[next]);
            }
        }

        return [.. seen];
    }
}

/// <summary>One function of a manifest; <see cref="Line"/> is where it is declared, for messages.</summary>
public sealed record FunctionSpec(
    string Name,
    string Module,
    string? Build,
    CapabilitySet Capabilities,
    Limits Limits,
    ImmutableArray<string> Then,
    int Line)
{
    /// <summary>An input to show the function working with (<c>mesh up</c> calls it; printed call lines use it).</summary>
    public string? Example { get; init; }

    /// <summary>The HTTP route the gateway serves it on, when declared.</summary>
    public RouteSpec? Route { get; init; }

    /// <summary>When it runs on its own, when declared.</summary>
    public ScheduleSpec? Schedule { get; init; }

    /// <summary>Functions this one hands on to or calls: its next steps, and publish or request rules on a literal mesh.fn.NAME.</summary>
    public IEnumerable<string> Calls() => Then.Concat(Capabilities.Publish.Concat(Capabilities.Request)
        .Select(Contracts.Wire.Subjects.FunctionOf).OfType<string>().Where(name => Contracts.Wire.FunctionName.IsValid(name)));

    public FunctionGrant Grant(Sha256Digest module) => new(Name, [module], Capabilities, Limits) { Then = Then };
}

/// <summary>
/// <c>route: POST /orders</c> (and <c>public: true</c>, <c>cookies: true</c>, <c>active: true</c>):
/// where a gateway serves the function, and what of its answer the gateway lets through.
/// </summary>
public sealed record RouteSpec(string Method, string Path, bool Public)
{
    /// <summary>The function may set cookies (<c>Set-Cookie</c> reaches the client).</summary>
    public bool Cookies { get; init; }

    /// <summary>The function's pages run in the gateway's origin (no <c>Content-Security-Policy: sandbox</c>).</summary>
    public bool Active { get; init; }

    /// <summary>Running it twice is harmless: a call that may have run is tried again when unanswered.</summary>
    public bool Idempotent { get; init; }

    public static bool TryParse(string text, out RouteSpec? route, out string problem)
    {
        route = null;
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2 || !Contracts.Triggers.RouteDeclaration.Methods.Contains(parts[0]))
        {
            problem = $"'{text}' is not METHOD /path (METHOD one of {string.Join(", ", Contracts.Triggers.RouteDeclaration.Methods)})";
            return false;
        }

        if (!Contracts.Triggers.RouteDeclaration.IsValidPath(parts[1]) || parts[1].StartsWith("/fn/", StringComparison.Ordinal) || parts[1] == "/healthz")
        {
            problem = $"'{parts[1]}' is not a route path: '/' then letters, digits and -._~ (no parameters, no '..'), not under /fn/ or /healthz";
            return false;
        }

        route = new RouteSpec(parts[0], parts[1], false);
        problem = "";
        return true;
    }

    public override string ToString() => $"{Method} {Path}";
}

/// <summary><c>schedule: "*/5 * * * *"</c> or <c>{ cron, input }</c>: when the function runs on its own, and with what.</summary>
public sealed record ScheduleSpec(string Cron, string Input);
