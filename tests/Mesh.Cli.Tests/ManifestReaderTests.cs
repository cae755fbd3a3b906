using Mesh.Cli.Manifest;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Rules;

namespace Mesh.Cli.Tests;

/// <summary>mesh.yaml: what it means, and errors that name the line and the field.</summary>
public sealed class ManifestReaderTests
{
    private const string Path = "/apps/shop/mesh.yaml";

    private static AppManifest Parse(string yaml) => ManifestReader.Parse(yaml, Path);

    private static string Error(string yaml) => Assert.Throws<CliException>(() => Parse(yaml)).Message;

    [Fact]
    public void AFullManifest_ReadsIntoGrants()
    {
        var app = Parse("""
            functions:
              checkout:
                module: build/checkout.wasm
                build: npm run build
                log: true
                http: ["POST https://api.stripe.com/v1/charges"]
                kv: ["orders/tenant-1.:get,put"]
                publish: [orders.created]
                request: [mesh.fn.fraud]
                limits: { fuel: 1_000_000, memory: 16MiB, wallTime: 2s, output: 64KiB, hostCalls: 100 }
                then: [receipt]
                example: order-1
              receipt:
                module: receipt.wat
              fraud:
                module: fraud.wat
              unrelated:
                module: other.wat
            buckets: [orders]
            tokens: { ttl: 2h, maxDepth: 3 }
            """);

        var checkout = app.Functions[0];
        Assert.Equal("/apps/shop/build/checkout.wasm", checkout.Module);
        Assert.Equal("npm run build", checkout.Build);
        Assert.True(checkout.Capabilities.Log);
        Assert.Equal(HttpMethods.Post, checkout.Capabilities.Http[0].Methods);
        Assert.Equal("tenant-1.", checkout.Capabilities.Kv[0].KeyPrefix);
        Assert.Equal(new Limits(1_000_000, 16L << 20, 2000, 65536, 100), checkout.Limits);
        Assert.Equal<string>(["receipt"], checkout.Then);
        Assert.Equal("order-1", checkout.Example);
        Assert.Equal((TimeSpan.FromHours(2), 3), (app.TokenTtl, app.MaxDepth));
        Assert.Equal<string>(["orders"], app.Buckets);
        // A token for checkout grants what it reaches: its next step and the function it calls.
        Assert.Equal(["checkout", "receipt", "fraud"], app.Reachable(checkout).Select(f => f.Name));
        Assert.Equal(["receipt"], app.Reachable(app.Functions[1]).Select(f => f.Name));
    }

    [Theory]
    [InlineData("functions:\n  a:\n    module: a.wat\n    limits: { fuel: 12x }\n", "mesh.yaml:4:21: functions.a.limits.fuel: '12x' is not a positive whole number")]
    [InlineData("functions:\n  a:\n    module: a.wat\n    htp: [x]\n", "mesh.yaml:4:5: functions.a.htp: unknown field")]
    [InlineData("functions:\n  a:\n    log: true\n", "mesh.yaml:3:5: functions.a.module: is required")]
    [InlineData("functions:\n  a:\n    module: a.wat\n    http: [\"GET ftp://x\"]\n", "mesh.yaml:4:12: functions.a.http: 'GET ftp://x'")]
    [InlineData("functions:\n  a:\n    module: a.wat\n    publish: [\"$SYS.>\"]\n", "mesh.yaml:3:5: functions.a: '$SYS.>' is a system subject")]
    [InlineData("functions:\n  a:\n    module: a.wat\n    then: [b]\n", "mesh.yaml:2: functions.a.then: 'b' is not a function of this manifest")]
    [InlineData("functions:\n  not a name:\n    module: a.wat\n", "mesh.yaml:2:3: functions.not a name: 'not a name' is not a valid function name")]
    [InlineData("functions:\n  a:\n    module: a.wat\n    log: maybe\n", "mesh.yaml:4:10: functions.a.log: 'maybe' is not true or false")]
    [InlineData("functions:\n  a: [x]\n", "mesh.yaml:2:6: functions.a: expected a mapping")]
    [InlineData("functions: {}\n", "mesh.yaml:1:12: functions: declares no function")]
    [InlineData("functions:\n  a:\n    module: a.wat\nbuckets: [\"no spaces\"]\n", "mesh.yaml:4:11: buckets: 'no spaces' is not a valid bucket name")]
    [InlineData("functions:\n  a:\n    module: a.wat\ntokens: { ttl: forever }\n", "mesh.yaml:4:16: tokens.ttl: 'forever' is not a positive duration")]
    [InlineData("functions:\n  a:\n    module: [a.wat\n", "mesh.yaml:")]
    [InlineData("- just a list\n", "mesh.yaml: expected a mapping with 'functions'")]
    public void AMistake_IsNamedByLineAndField(string yaml, string expected)
    {
        Assert.StartsWith(expected, Error(yaml));
    }

    [Fact]
    public void RoutesAndSchedules_AreRead_UnderTheApplicationsName()
    {
        var app = Parse("""
            name: store
            functions:
              orders:
                module: a.wasm
                route: POST /orders
                public: true
              shop:
                module: a.wasm
                route: GET /shop
                cookies: true
                active: true
                idempotent: true
              report:
                module: a.wasm
                schedule: "*/5 * * * *"
              tick:
                module: a.wasm
                schedule: { cron: "* * * * * *", input: hello }
            tokens: { triggerTtl: 7d }
            """);
        Assert.Equal("store", app.Name);
        Assert.Equal(TimeSpan.FromDays(7), app.TriggerTtl);
        Assert.Equal(new RouteSpec("POST", "/orders", true), app.Functions[0].Route);
        Assert.Equal(new RouteSpec("GET", "/shop", false) { Cookies = true, Active = true, Idempotent = true }, app.Functions[1].Route);
        Assert.Equal(new ScheduleSpec("*/5 * * * *", ""), app.Functions[2].Schedule);
        Assert.Equal(new ScheduleSpec("* * * * * *", "hello"), app.Functions[3].Schedule);
        // Without a name, the manifest's directory names the application, as docker compose does.
        Assert.Equal("shop", Parse("functions: { a: { module: a.wasm } }").Name);
    }

    [Theory]
    [InlineData("route: GET", "is not METHOD /path")]
    [InlineData("route: FETCH /x", "is not METHOD /path")]
    [InlineData("route: POST /a/../b", "is not a route path")]
    [InlineData("route: POST /fn/x", "is not a route path")]
    [InlineData("route: POST /a?b=1", "is not a route path")]
    [InlineData("public: true", "needs a route")]
    [InlineData("cookies: true", "needs a route")]
    [InlineData("active: true", "needs a route")]
    [InlineData("idempotent: true", "needs a route")]
    [InlineData("route: GET /x\n    active: yes", "is not true or false")]
    [InlineData("schedule: \"* * *\"", "3 fields")]
    [InlineData("schedule: \"61 * * * *\"", "not a cron expression")]
    [InlineData("schedule: { cron: \"* * * * *\", when: now }", "unknown field")]
    public void BadRoutesAndSchedules_NameTheirLine(string field, string problem)
    {
        var message = Error($$"""
            functions:
              a:
                module: a.wasm
                {{field}}
            """);
        Assert.Contains(problem, message);
        Assert.StartsWith("mesh.yaml:", message);
    }

    [Fact]
    public void TwoFunctionsOnOneRoute_AreRefused()
    {
        Assert.Contains("is declared by a and b", Error("""
            functions:
              a: { module: a.wasm, route: POST /x }
              b: { module: a.wasm, route: POST /x }
            """));
        Assert.Contains("not a valid name", Error("""
            name: "my app"
            functions: { a: { module: a.wasm } }
            """));
    }
}
