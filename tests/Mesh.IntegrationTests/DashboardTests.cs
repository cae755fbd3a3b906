using Mesh.Cli.Local;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Dashboard;
using NATS.Client.JetStream;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;

namespace Mesh.IntegrationTests;

/// <summary>
/// What the dashboard tests share, made once: a nats-server of their own (so no other test's
/// nodes show), two nodes, a dashboard and Debian's chromium driven by Playwright. Each test opens
/// a page of its own.
/// </summary>
public sealed class DashboardInBrowser : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    private NatsServerProcess _server = null!;

    public MeshCluster Mesh { get; private set; } = null!;

    public WebApplication Dashboard { get; private set; } = null!;

    public IPlaywright Playwright { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: scripts/install-prerequisites.sh installs Debian's chromium");
        _server = await NatsServerProcess.StartAsync();
        Mesh = await MeshCluster.StartAsync(_server.Url, nodes: 2);
        Dashboard = DashboardHost.Build([], [new("Mesh:Nats:Url", _server.Url), new("Mesh:Dashboard:Listen", "127.0.0.1:0"), new("Mesh:Dashboard:NodesInterval", "00:00:00.500"), new("Mesh:Tokens:TrustedRoots:0", Mesh.Issuer.PublicKeyText)], embedded: true);
        await Dashboard.StartAsync();
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        // Headless, and none of the background connections this closed network refuses.
        Browser = await Playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await Dashboard.StopAsync();
        await Dashboard.DisposeAsync();
        await Mesh.DisposeAsync();
        _server.Dispose();
    }
}

/// <summary>
/// Browser tests run alone, after the rest: a browser beside the whole suite on two cores slows
/// the tests that bound failover by time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DashboardAlone : ICollectionFixture<DashboardInBrowser>
{
    public const string Name = "Dashboard in a browser, alone";
}

/// <summary>
/// The dashboard in a real browser: Debian's chromium driven by Playwright, against a dashboard
/// over a mesh of two nodes. A screenshot of each view is kept in TestResults/dashboard/.
/// </summary>
[Collection(DashboardAlone.Name)]
public sealed class DashboardTests(DashboardInBrowser browser) : IAsyncLifetime
{
    private readonly MeshCluster _mesh = browser.Mesh;
    private IPage _page = null!;

    public async Task InitializeAsync()
    {
        _page = await browser.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        await _page.GotoAsync(DashboardHost.Addresses(browser.Dashboard)[0]);
    }

    public async Task DisposeAsync() => await _page.CloseAsync();

    private async Task ScreenshotAsync(string view)
    {
        var directory = Path.Combine(MeshCluster.RepositoryRoot(), "TestResults", "dashboard");
        Directory.CreateDirectory(directory);
        await _page.Locator($"#{view}").ScreenshotAsync(new() { Path = Path.Combine(directory, $"{view}.png") });
    }

    [Fact]
    public async Task ThePage_ShowsBothNodes_Live()
    {
        await _page.WaitForFunctionAsync("() => document.querySelectorAll('#node-rows tr').length === 2", null, new() { Timeout = 15_000 });

        var ready = await _page.Locator("#node-rows tr td:nth-child(2)").AllTextContentsAsync();
        Assert.Equal(["yes", "yes"], ready);
        Assert.Equal("live", await _page.Locator("#status").TextContentAsync());

        // After calls, each node that served one says how often its token and module caches hit.
        var function = "warm-" + Guid.NewGuid().ToString("N")[..6];
        var token = _mesh.Grant(function, await _mesh.DeployAsync(MeshCluster.Wat("echo")));
        for (var i = 0; i < 10; i++)
        {
            Assert.True((await _mesh.CallAsync(function, token, "hi")).IsOk);
        }

        await _page.Locator("#node-rows td:nth-child(8):text-matches('% hits$')").First.WaitForAsync(new() { Timeout = 5_000 });
        await _page.Locator("#node-rows td:nth-child(9):text-matches('% hits$')").First.WaitForAsync(new() { Timeout = 5_000 });
        await _page.Locator("#node-rows td:nth-child(4):text-matches('^[0-9.,]+$')").First.WaitForAsync(new() { Timeout = 5_000 });
        await ScreenshotAsync("nodes");
    }

    [Fact]
    public async Task CallsMadeNow_AppearInTheChartAndTable_WithinTwoSeconds()
    {
        var function = "echo-" + Guid.NewGuid().ToString("N")[..6];
        var token = _mesh.Grant(function, await _mesh.DeployAsync(MeshCluster.Wat("echo")));
        await _page.WaitForSelectorAsync("#status.live");

        for (var i = 0; i < 20; i++)
        {
            Assert.True((await _mesh.CallAsync(function, token, "hi")).IsOk);
        }

        // Published by the nodes within 100 ms, pushed to the page every second.
        var row = _page.Locator($"#function-rows tr[data-function='{function}']");
        await row.WaitForAsync(new() { Timeout = 2_000 });
        Assert.Equal("20", await row.Locator("td:nth-child(3)").TextContentAsync());
        await _page.Locator("#chart .u-legend").GetByText(function).WaitForAsync(new() { Timeout = 2_000 });
        await _page.Locator("#errors-chart .u-legend").GetByText(function).WaitForAsync(new() { Timeout = 2_000 });
        await ScreenshotAsync("functions");
    }

    [Fact]
    public async Task ARefusalMadeNow_AppearsWithItsCapability_AndTheFilterFindsIt()
    {
        var function = "peeker-" + Guid.NewGuid().ToString("N")[..6];
        var token = _mesh.Grant(function, await _mesh.DeployAsync(MeshCluster.Wat("wasi-open-passwd")));
        await _page.WaitForSelectorAsync("#status.live");

        await _mesh.CallAsync(function, token);

        var refusal = _page.Locator($"#refusal-rows tr[data-capability='file']:has(td:text-is('{function}'))");
        await refusal.WaitForAsync(new() { Timeout = 2_000 });
        Assert.Equal([function, "file", "/etc/passwd"], (await refusal.Locator("td").AllTextContentsAsync()).Skip(1).Take(3));

        await _page.FillAsync("#refusal-filter", "no-such-thing");
        await _page.WaitForFunctionAsync("() => document.querySelectorAll('#refusal-rows tr').length === 0", null, new() { Timeout = 2_000 });
        await _page.FillAsync("#refusal-filter", "passwd");
        await refusal.WaitForAsync(new() { Timeout = 2_000 });
        await ScreenshotAsync("refusals");
    }

    [Fact]
    public async Task GuestText_IsShownAsText_NeverAsMarkup()
    {
        // A path a guest chose, with markup in it, reaches the page as characters.
        var module = Wasmtime.Module.ConvertText("""
            (module
              (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 100) "<img src=x onerror=document.title='owned'>")
              (func (export "_start")
                (drop (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 42) (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 300)))))
            """);
        var function = "marker-" + Guid.NewGuid().ToString("N")[..6];
        var token = _mesh.Grant(function, await _mesh.DeployAsync(module));
        await _page.WaitForSelectorAsync("#status.live");

        await _mesh.CallAsync(function, token);

        var refusal = _page.Locator($"#refusal-rows tr:has(td:text-is('{function}'))");
        await refusal.WaitForAsync(new() { Timeout = 2_000 });
        Assert.Equal("<img src=x onerror=document.title='owned'>", await refusal.Locator("td:nth-child(4)").TextContentAsync());
        Assert.Equal(0, await _page.Locator("#refusal-rows img").CountAsync());
        Assert.Equal("Mesh dashboard", await _page.TitleAsync());
    }

    [Fact]
    public async Task TheInspector_ShowsAPastedTokensGrant_AndItsVerdict()
    {
        Assert.True(Mesh.Contracts.Tokens.Rules.RuleText.TryParseHttp("POST https://api.stripe.com/v1/", out var rule, out _));
        var token = _mesh.Grant("payments", await _mesh.DeployAsync(MeshCluster.Wat("echo")), CapabilitySet.None with { Http = [rule!], Log = true });

        await _page.FillAsync("#token-text", token);
        await _page.ClickAsync("#inspect");

        var row = _page.Locator("#blocks tr[data-function='payments']");
        await row.WaitForAsync(new() { Timeout = 5_000 });
        Assert.Equal(["payments", "yes", "POST https://api.stripe.com/v1/"], (await row.Locator("td").AllTextContentsAsync()).Take(3));
        Assert.StartsWith("verifies (against 1 trusted root key(s)", await _page.Locator("#verdict").TextContentAsync());
        // The whole token is nowhere on the page any more.
        Assert.DoesNotContain(token, await _page.ContentAsync());
        Assert.Equal("", await _page.InputValueAsync("#token-text"));
        await ScreenshotAsync("inspector");

        // One character changed in the signed part: the verdict says why.
        var tampered = token[..40] + (token[40] == 'A' ? 'B' : 'A') + token[41..];
        await _page.FillAsync("#token-text", tampered);
        await _page.ClickAsync("#inspect");
        await _page.Locator("#verdict.bad").WaitForAsync(new() { Timeout = 5_000 });
        Assert.StartsWith("token.", await _page.Locator("#verdict").TextContentAsync());
    }

    [Fact]
    public async Task ADeadLetter_ShowsItsCodeAndDeliveries_NotItsInput()
    {
        var function = "doomed-" + Guid.NewGuid().ToString("N")[..6];
        var digest = await _mesh.DeployAsync(MeshCluster.Wat("echo"));
        // A job whose token grants another function: it can never run, so it is a dead letter at once.
        var headers = new NATS.Client.Core.NatsHeaders { [MeshHeaders.Token] = _mesh.Grant("someone-else", digest) };
        (await new NatsJSContext(_mesh.Client).PublishAsync(JobSubjects.JobPrefix + function, "secret input"u8.ToArray(), headers: headers)).EnsureSuccess();

        var row = _page.Locator($"#dead-rows tr[data-function='{function}']");
        await row.WaitForAsync(new() { Timeout = 15_000 });
        var cells = await row.Locator("td").AllTextContentsAsync();
        Assert.Equal("token.wrong_subject", cells[2]);
        Assert.Equal("1", cells[3]);
        Assert.Equal("12 bytes", cells[6]);
        Assert.DoesNotContain("secret input", await _page.ContentAsync());
        await ScreenshotAsync("dead-letters");
    }

    [Fact]
    public async Task AChainCalledNow_ShowsItsStepsInOrder_WithTiming()
    {
        var echo = await _mesh.DeployAsync(MeshCluster.Wat("echo"));
        var (first, second) = ("first-" + Guid.NewGuid().ToString("N")[..6], "second-" + Guid.NewGuid().ToString("N")[..6]);
        var token = _mesh.GrantAll([new FunctionGrant(first, [echo], CapabilitySet.None, Limits.None) { Then = [second] }, new FunctionGrant(second, [echo], CapabilitySet.None, Limits.None)]);
        await _page.WaitForSelectorAsync("#status.live");

        Assert.True((await _mesh.CallAsync(first, token, "hop")).IsOk);

        var chain = _page.Locator($"#chain-rows tr:has(span:text-matches('^1 {first} ok'))");
        await chain.WaitForAsync(new() { Timeout = 2_000 });
        var steps = await chain.Locator("span.step").AllTextContentsAsync();
        Assert.Equal(2, steps.Count);
        Assert.Matches($@"^1 {first} ok [\d,]+ µs$", steps[0]);
        Assert.Matches($@"^ → 2 {second} ok [\d,]+ µs$", steps[1]);
        Assert.Matches("^[0-9a-f]{32}$", await chain.Locator("td").First.TextContentAsync());
        await ScreenshotAsync("chains");
    }

    [Fact]
    public async Task APageThatRebindsItsNameToTheDashboard_ReadsNothing()
    {
        // Issue 26 §5, in a real browser: attacker.example serves its page, then resolves to the
        // dashboard's address (the resolver rule stands in for the rebound DNS record). The page's
        // own-origin requests then reach the dashboard, carrying its own name.
        var port = new Uri(DashboardHost.Addresses(browser.Dashboard)[0]).Port;
        await using var rebinding = await browser.Playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = DashboardInBrowser.Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--host-resolver-rules=MAP attacker.example 127.0.0.1",
                // Chromium's own guard against public pages reaching loopback: off, as in a
                // browser without it, so that the dashboard's guard is what is tested.
                "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights"],
        });
        var page = await rebinding.NewPageAsync();
        var origin = $"http://attacker.example:{port}";
        await page.RouteAsync(origin + "/innocent.html", route => route.FulfillAsync(new() { ContentType = "text/html", Body = "<!doctype html><title>innocent</title>" }));
        await page.GotoAsync(origin + "/innocent.html");

        var stolen = await page.EvaluateAsync<string>(
            @"async () => {
                const answers = [];
                for (const path of ['/events', '/', '/app.js']) {
                  const controller = new AbortController();
                  const response = await fetch(path, { signal: controller.signal });
                  const reader = response.body.getReader();
                  const first = await reader.read();
                  controller.abort();
                  answers.push(response.status + ' ' + new TextDecoder().decode(first.value ?? new Uint8Array()));
                }
                return answers.join('|');
              }");

        Assert.All(stolen.Split('|'), answer => Assert.StartsWith("421 ", answer, StringComparison.Ordinal));
        Assert.DoesNotContain("data:", stolen, StringComparison.Ordinal);
        Assert.DoesNotContain("functions", stolen, StringComparison.Ordinal);

        // The page as reached by its own address still works.
        await _page.WaitForSelectorAsync("#status.live");
    }
}
