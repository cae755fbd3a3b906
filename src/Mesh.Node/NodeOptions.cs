using Mesh.Contracts.Tokens;
using Mesh.Node.Tokens;

namespace Mesh.Node;

/// <summary>
/// Everything a node is configured with, bound from the <c>Mesh</c> section: appsettings,
/// environment (<c>Mesh__Nats__Url</c>, <c>Mesh__Tokens__TrustedRoots__0</c>) or the command line.
/// Note what is absent: no signing key, no per-function settings.
/// </summary>
public sealed record NodeOptions
{
    public const string Section = "Mesh";

    public NatsOptions Nats { get; init; } = new();

    public TokenVerifierOptions Tokens { get; init; } = new();

    public VerifiedTokenCacheOptions TokenCache { get; init; } = new();

    public ExecutionOptions Execution { get; init; } = new();

    public CeilingOptions Ceilings { get; init; } = new();

    public ModuleOptions Modules { get; init; } = new();

    public TracingOptions Tracing { get; init; } = new();

    public HealthOptions Health { get; init; } = new();

    public Revocation.RevocationOptions Revocation { get; init; } = new();

    public Jobs.JobOptions Jobs { get; init; } = new();

    public Schedules.ScheduleOptions Schedules { get; init; } = new();

    public Secrets.SecretsOptions Secrets { get; init; } = new();

    public FunctionLogs.FunctionLogOptions FunctionLogs { get; init; } = new();

    /// <summary>Null when valid, else what is wrong, naming the setting.</summary>
    public string? Validate()
    {
        if (Tokens.TrustedRoots.Count == 0)
        {
            return "Mesh:Tokens:TrustedRoots is empty: a node that trusts no issuer refuses every call (set Mesh__Tokens__TrustedRoots__0 to an issuer public key)";
        }

        if (Contracts.Wire.NatsUrl.Problem(Nats.Url) is { } nats)
        {
            return $"Mesh:Nats:Url: {nats}";
        }

        if (FunctionLogs.EntriesPerSecond < 1 || FunctionLogs.QueueLength < 1 || FunctionLogs.FlushInterval <= TimeSpan.Zero)
        {
            return "Mesh:FunctionLogs: EntriesPerSecond and QueueLength must be at least 1 and FlushInterval positive";
        }

        if (Execution.Concurrency < 1 || Execution.QueueLength < 0 || Execution.MaxUnverified < 1 || Execution.MaxInvocationsPerCall < 1)
        {
            return "Mesh:Execution:Concurrency, MaxUnverified and MaxInvocationsPerCall must be at least 1 and Mesh:Execution:QueueLength not negative";
        }

        if (Ceilings.Fuel < 1 || Ceilings.MemoryBytes < 65536 || Ceilings.WallTimeMs < 1 || Ceilings.OutputBytes < 1 || Ceilings.HostCalls < 1)
        {
            return "Mesh:Ceilings: every ceiling must be positive (memory at least one 64 KiB page)";
        }

        if (Tracing.OtlpEndpoint is { } endpoint && !(Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && (uri.Scheme == "http" || uri.Scheme == "https")))
        {
            return $"Mesh:Tracing:OtlpEndpoint '{endpoint}' must be an http or https URL, e.g. http://collector:4317";
        }

        if (!(Nats.ReplyPrefix.Length > 1 && Nats.ReplyPrefix.EndsWith('.') && Mesh.Contracts.Tokens.Rules.SubjectPattern.IsLiteral(Nats.ReplyPrefix[..^1])))
        {
            return $"Mesh:Nats:ReplyPrefix '{Nats.ReplyPrefix}' must be subject tokens ending in '.', such as _INBOX.";
        }

        if (!(Mesh.Contracts.Tokens.Rules.SubjectPattern.IsLiteral(Nats.InboxPrefix) && (Nats.InboxPrefix + ".").StartsWith(Nats.ReplyPrefix, StringComparison.Ordinal)))
        {
            return $"Mesh:Nats:InboxPrefix '{Nats.InboxPrefix}' must be subject tokens under Mesh:Nats:ReplyPrefix '{Nats.ReplyPrefix}', or other nodes would not answer this one";
        }

        if (Revocation.CheckInterval <= TimeSpan.Zero || Revocation.CheckInterval > Node.Revocation.RevocationPromise.MaxStaleness / 2 || Revocation.GracePeriod <= Node.Revocation.RevocationPromise.MaxStaleness)
        {
            return $"Mesh:Revocation:CheckInterval must be positive and at most {Node.Revocation.RevocationPromise.MaxStaleness.TotalMilliseconds / 2} ms, and GracePeriod longer than {Node.Revocation.RevocationPromise.MaxStaleness.TotalSeconds} s (revocations hold within {Node.Revocation.RevocationPromise.MaxStaleness.TotalSeconds} s)";
        }

        if (Secrets.ReleaseTimeout <= TimeSpan.Zero || Secrets.AttemptTimeout <= TimeSpan.Zero || Secrets.AttemptTimeout > Secrets.ReleaseTimeout || Secrets.CacheFor < TimeSpan.Zero)
        {
            return "Mesh:Secrets:ReleaseTimeout and AttemptTimeout must be positive, AttemptTimeout at most ReleaseTimeout, and CacheFor not negative";
        }

        if (Jobs.Backoff is { } backoff && backoff.Any(wait => wait < TimeSpan.Zero))
        {
            return "Mesh:Jobs:Backoff: every wait must be zero or more";
        }

        if (Tracing.Protocol is not ("grpc" or "http/protobuf"))
        {
            return $"Mesh:Tracing:Protocol '{Tracing.Protocol}' must be grpc or http/protobuf";
        }

        return null;
    }
}

public sealed record NatsOptions
{
    public string Url { get; init; } = "nats://127.0.0.1:4222";

    /// <summary>The connection name the server shows for this node.</summary>
    public string Name { get; init; } = "mesh-node";

    /// <summary>
    /// The node answers only reply subjects under this prefix; a message naming any other reply
    /// subject is not run (NATS never checks what a requester names). Callers' inboxes must lie
    /// under it: per-caller prefixes such as <c>_INBOX.alice.</c> do.
    /// </summary>
    public string ReplyPrefix { get; init; } = "_INBOX.";

    /// <summary>
    /// First wait before reconnecting after NATS went away, doubling per failed attempt up to
    /// <see cref="ReconnectWaitMax"/>. Short, so a node is back soon after its server is (the
    /// client's own default is 2 s to 5 s).
    /// </summary>
    public TimeSpan ReconnectWait { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan ReconnectWaitMax { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Where answers to the node's own requests arrive (fan-out branches, guests' requests,
    /// JetStream): under <see cref="ReplyPrefix"/>. Nodes' own, apart from callers' inboxes: a token
    /// that binds replies to its caller's prefix may still be answered here, where fan-outs and
    /// functions' own requests wait, and nowhere else.
    /// </summary>
    public string InboxPrefix { get; init; } = "_INBOX.nodes";
}

public sealed record ExecutionOptions
{
    /// <summary>Sandboxes running at once, calls and durable jobs together. Also sizes the Wasmtime instance pool.</summary>
    public int Concurrency { get; init; } = Math.Max(2, Environment.ProcessorCount * 2);

    /// <summary>Admitted messages waiting for a slot; past this a caller gets <c>node.overloaded</c> at once.</summary>
    public int QueueLength { get; init; } = 256;

    /// <summary>Largest input accepted.</summary>
    public int MaxInputBytes { get; init; } = 1024 * 1024;

    /// <summary>The queue group every node joins, so any node can take any call.</summary>
    public string QueueGroup { get; init; } = "mesh-nodes";

    /// <summary>How long a stopping node lets in-flight invocations finish.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Most calls of one function admitted at once (waiting or running); past it, that function's
    /// calls get <c>node.overloaded</c> while other functions still get workers. 0: no limit.
    /// </summary>
    public int MaxPerFunction { get; init; }

    /// <summary>
    /// Queue places for calls whose token this node has not verified yet (a verification costs a
    /// signature check per block); past it, such calls get <c>node.overloaded</c> at once, while
    /// calls with tokens verified before keep every other place. A flood of forged tokens therefore
    /// cannot crowd out calls that carry good ones.
    /// </summary>
    public int MaxUnverified { get; init; } = 16;

    /// <summary>Most invocations one call may cause in all, itself, its chain and whatever its functions call.</summary>
    public int MaxInvocationsPerCall { get; init; } = 256;
}

/// <summary>The node's own maximum for every limit: a token can ask for less, never more.</summary>
public sealed record CeilingOptions
{
    public long Fuel { get; init; } = 10_000_000_000;

    public long MemoryBytes { get; init; } = 64L * 1024 * 1024;

    public long WallTimeMs { get; init; } = 10_000;

    public long OutputBytes { get; init; } = 1024 * 1024;

    public long HostCalls { get; init; } = 10_000;

    /// <summary>Log lines a single invocation may write; more are refused with a status, not an error.</summary>
    public int LogLines { get; init; } = 100;

    /// <summary>Longest log line kept; longer lines are cut.</summary>
    public int LogLineBytes { get; init; } = 2048;

    /// <summary>Publishes plus requests a single invocation may make.</summary>
    public int Messages { get; init; } = 100;

    /// <summary>Largest payload a guest may publish or send as a request.</summary>
    public int MessageBytes { get; init; } = 64 * 1024;

    /// <summary>Longest a single request may wait for its reply (less if the invocation has less time left).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest an outbound HTTP request may take, retries included (less if the invocation has less time left).</summary>
    public TimeSpan HttpTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest HTTP response body a guest may receive.</summary>
    public long HttpResponseBytes { get; init; } = 1024 * 1024;

    /// <summary>Longest a fan-out step waits for its branches to answer, when the caller set no budget.</summary>
    public TimeSpan FanOutWait { get; init; } = TimeSpan.FromSeconds(30);
}

public sealed record HealthOptions
{
    /// <summary>A file that exists while the node serves (for container health checks); none by default.</summary>
    public string? ReadyFile { get; init; }
}

public sealed record TracingOptions
{
    /// <summary>OTLP endpoint (e.g. http://collector:4317) to export a span per invocation to; none: spans are not exported.</summary>
    public string? OtlpEndpoint { get; init; }

    /// <summary>OTLP transport: <c>grpc</c> (port 4317 by convention) or <c>http/protobuf</c> (4318).</summary>
    public string Protocol { get; init; } = "grpc";

    /// <summary>The service name spans carry.</summary>
    public string ServiceName { get; init; } = "mesh-node";
}

public sealed record ModuleOptions
{
    public const string DefaultBucket = "mesh-modules";

    /// <summary>The NATS object store bucket modules are deployed to, named by digest.</summary>
    public string Bucket { get; init; } = DefaultBucket;

    /// <summary>Memory the compiled code of cached modules may take; least recently used modules go first.</summary>
    public long CacheBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Largest module fetched (and so compiled).</summary>
    public long MaxModuleBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>Most functions a module may define; compiling costs time and memory in proportion.</summary>
    public long MaxFunctions { get; init; } = 10_000;
}
