using System.Diagnostics;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Wire;
using Mesh.Node.Telemetry;
using NATS.Client.Core;

namespace Mesh.IntegrationTests.Attacks;

/// <summary>
/// Issue 11 §5: text a guest or a caller chooses (a log line, an error message, a refused URL, a
/// subject) reaches reply headers, the node's log and spans only made printable. The node runs as
/// its own process and its real console output is read, as an operator's terminal would show it.
/// </summary>
public sealed class GuestTextAttackTests(GuestTextAttackTests.NodeProcessMesh fixture) : IClassFixture<GuestTextAttackTests.NodeProcessMesh>
{
    // Carriage return and erase-line: on a terminal, what follows overwrites the node's own
    // attribution of the line; a newline would start a line the node never wrote.
    private const string Forgery = "innocent\r\u001b[2K\u001b[1Gcharge-fn (token 0000): refund approved\nsecond line\u202eevil\u0000";

    private readonly MeshCluster _mesh = fixture.Mesh;
    private readonly NodeProcess _node = fixture.Node;

    /// <summary>One node, as its own process, on a server of this class's own.</summary>
    public sealed class NodeProcessMesh : OwnMeshFixture
    {
        public NodeProcess Node { get; private set; } = null!;

        protected override int Nodes => 0;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            // At debug, so refusals answered without running are logged too, and checked.
            Node = await NodeProcess.StartAsync(Url, Mesh.Issuer.PublicKeyText, new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Debug" });
        }

        public override async Task DisposeAsync()
        {
            Node.Dispose();
            await base.DisposeAsync();
        }
    }

    [Fact]
    public async Task AGuestsLogLine_ReachesTheNodesLog_AsOnePrintableLine()
    {
        var module = await _mesh.DeployAsync(MeshCluster.Wat("hello-log"));
        var token = _mesh.Grant("text-log", module, CapabilitySet.None with { Log = true });

        var reply = await _mesh.CallAsync("text-log", token, Forgery);

        Assert.True(reply.IsOk, reply.ToString());
        var line = await NodeLineAsync("text-log", "innocent");
        Assert.Contains(@"innocent\x0d\x1b[2K\x1b[1Gcharge-fn (token 0000): refund approved\x0asecond line\u202eevil\x00", line);
        AssertNodeOutputIsPrintable();
    }

    [Fact]
    public async Task AGuestsErrorMessage_ReachesTheReplyAndTheLog_Printable()
    {
        var module = await _mesh.DeployAsync(MeshCluster.Wat("error-echo"));
        var token = _mesh.Grant("text-error", module);

        var reply = await _mesh.CallAsync("text-error", token, Forgery);

        Assert.Equal(ErrorCode.FunctionError.ToWire(), reply.Status);
        Assert.StartsWith(@"innocent\x0d\x1b[2K", reply.Message);
        Assert.True(PrintableText.IsClean(reply.Message), reply.Message);
        await NodeLineAsync("text-error", "innocent");
        AssertNodeOutputIsPrintable();
    }

    [Fact]
    public async Task AGuestsErrorMessage_IsCutToAHeadersLength()
    {
        var module = await _mesh.DeployAsync(MeshCluster.Wat("error-echo"));
        var token = _mesh.Grant("text-long", module);

        var reply = await _mesh.CallAsync("text-long", token, new string('\u001b', 4000));

        Assert.Equal(ErrorCode.FunctionError.ToWire(), reply.Status);
        Assert.True(reply.Message!.Length <= 1024, $"{reply.Message.Length} characters");
        Assert.EndsWith("...", reply.Message);
    }

    [Fact]
    public async Task ACallersSubjectWithControls_IsRefused_AndEchoedPrintable()
    {
        // ESC is not whitespace, so NATS carries it in a subject (a CR would end the protocol line).
        await using var caller = new NatsConnection(new NatsOpts { Url = fixture.Url, RequestReplyMode = NatsRequestReplyMode.Direct });
        var reply = Reply.From(await caller.RequestAsync<byte[], byte[]>("mesh.fn.x\u001b[31mforged", []));

        Assert.Equal(ErrorCode.RequestMalformed.ToWire(), reply.Status);
        Assert.True(PrintableText.IsClean(reply.Function), reply.Function);
        Assert.True(PrintableText.IsClean(reply.Message), reply.Message);
        await NodeLineAsync("mesh.fn.x", "request.malformed");
        AssertNodeOutputIsPrintable();
    }

    [Fact]
    public async Task ARefusedUrlWithABareLineFeed_IsNamedPrintable_InMeshDenied()
    {
        var probe = await HttpProbe.DeployAsync(_mesh);
        var reply = await probe.SendAsync(probe.Grant("GET http://api.example.com/v1/"), "GET", "http://api.example.com/v1/\nX-Admin: yes");

        Assert.Equal(HttpProbe.Returned(7), reply.Message);
        Assert.Contains(@"/v1/\x0aX-Admin: yes", reply.Denied);
        await NodeLineAsync("httpprobe", "X-Admin");
        AssertNodeOutputIsPrintable();
    }

    [Fact]
    public void ASpansSubjectTag_IsPrintable()
    {
        using var telemetry = new NodeTelemetry();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == NodeTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
        };
        ActivitySource.AddActivityListener(listener);

        using var activity = telemetry.StartInvocation("mesh.fn.x\u001b[31m\r", Mesh.Node.Chaining.ChainPosition.Start);

        Assert.Equal(@"mesh.fn.x\x1b[31m\x0d", activity!.GetTagItem("messaging.destination.name"));
    }

    private async Task<string> NodeLineAsync(string function, string contains)
    {
        string? line = null;
        await Eventually.HoldsAsync(
            () => (line = _node.Output.FirstOrDefault(l => l.Contains(function, StringComparison.Ordinal) && l.Contains(contains, StringComparison.Ordinal))) is not null,
            $"the node logs a line about {function} holding '{contains}'");
        return line!;
    }

    // Lines are split at LF by the reader, so a raw LF shows as a line the node never began: every
    // line must look like the console formatter's own (a timestamp first) and hold no control.
    private void AssertNodeOutputIsPrintable()
    {
        foreach (var line in _node.Output)
        {
            Assert.True(PrintableText.IsClean(line), $"raw control characters in the node's output: {Escape(line)}");
            Assert.Matches(@"^\d\d:\d\d:\d\d\.\d{3} ", line);
        }
    }

    private static string Escape(string line) => string.Concat(line.Select(c => char.IsControl(c) ? $"<{(int)c:x2}>" : c.ToString()));
}
