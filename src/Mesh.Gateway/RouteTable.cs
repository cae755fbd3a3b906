using System.Collections.Frozen;
using System.Collections.Immutable;
using Mesh.Client.Declarations;
using Mesh.Contracts.Triggers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace Mesh.Gateway;

/// <summary>
/// The routes manifests declared (<see cref="TriggerBuckets.Routes"/>), by method and path, kept
/// current from the bucket. The route tokens of public routes are the only authority a gateway
/// holds: it says which it holds, for which function and until when, whenever that changes.
/// </summary>
public sealed class RouteTable : BackgroundService
{
    private readonly DeclarationFeed<RouteDeclaration> _feed;
    private readonly ILogger<RouteTable> _logger;
    private FrozenDictionary<(string Method, string Path), RouteDeclaration> _routes = FrozenDictionary<(string, string), RouteDeclaration>.Empty;

    public RouteTable(INatsConnection nats, IOptions<GatewayOptions> options, ILogger<RouteTable> logger, TimeProvider time)
    {
        _logger = logger;
        _feed = new DeclarationFeed<RouteDeclaration>(nats, TriggerBuckets.Routes, logger, options.Value.RoutesResync, time);
        _feed.Changed += Rebuild;
    }

    /// <summary>Completes once the routes have been read the first time.</summary>
    public Task FirstRead => _feed.FirstRead;

    public RouteDeclaration? Find(string method, string path) => _routes.GetValueOrDefault((method, path));

    /// <summary>The methods a path takes, for a 405's <c>Allow</c>; empty when no route has the path.</summary>
    public string[] MethodsOf(string path) => [.. _routes.Keys.Where(k => k.Path == path).Select(k => k.Method).Order()];

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _feed.RunAsync(stoppingToken);

    private void Rebuild(ImmutableDictionary<string, RouteDeclaration> declared)
    {
        var routes = new Dictionary<(string, string), RouteDeclaration>();
        // Ordered by key, so that when two applications declare one route every gateway picks the same.
        foreach (var (key, route) in declared.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            if (route.Problem() is { } problem)
            {
                Log.RouteSkipped(_logger, key, problem);
                continue;
            }

            if (!routes.TryAdd((route.Method, route.Path), route))
            {
                Log.RouteSkipped(_logger, key, $"{route.Method} {route.Path} is already {routes[(route.Method, route.Path)].App}.{routes[(route.Method, route.Path)].Function}'s");
            }
        }

        _routes = routes.ToFrozenDictionary();
        var held = routes.Values.Where(r => r.Public).ToList();
        Log.RoutesRead(_logger, routes.Count, held.Count, held.Count == 0
            ? "none"
            : string.Join("; ", held.Select(r => $"{r.Method} {r.Path} -> {r.App}.{r.Function} (until {DateTimeOffset.FromUnixTimeSeconds(r.Expires):u})")));
    }
}
