using Microsoft.Extensions.Logging;

namespace Mesh.Node;

/// <summary>Every log line the node writes, source-generated, in one place.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Message = "guest {Function} (token {TokenId}, invocation {InvocationId}): {Line}")]
    public static partial void GuestLine(ILogger logger, LogLevel level, string function, string tokenId, string invocationId, string line);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "node serving mesh.fn.> in queue group {QueueGroup} on {Url}: concurrency {Concurrency}, queue {QueueLength}, {TrustedRoots} trusted root(s)")]
    public static partial void Serving(ILogger logger, string queueGroup, string url, int concurrency, int queueLength, int trustedRoots);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "{Function} invocation {InvocationId} (token {TokenId}) ok in {Microseconds} µs")]
    public static partial void Invoked(ILogger logger, string function, string invocationId, string tokenId, long microseconds);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "{Subject} invocation {InvocationId} (token {TokenId}) refused or failed: {Code}: {Message}")]
    public static partial void Failed(ILogger logger, string subject, string invocationId, string tokenId, string code, string message);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "{Function} invocation {InvocationId} (token {TokenId}) was refused capability {Capability}")]
    public static partial void Denied(ILogger logger, string function, string invocationId, string tokenId, string capability);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "draining: no new calls; waiting up to {Timeout} for {InFlight} admitted call(s)")]
    public static partial void Draining(ILogger logger, TimeSpan timeout, int inFlight);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "drained: {Left} admitted call(s) left at exit")]
    public static partial void Drained(ILogger logger, int left);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "compiled module {Digest} ({Bytes} bytes) in {Milliseconds} ms")]
    public static partial void Compiled(ILogger logger, string digest, int bytes, long milliseconds);

    [LoggerMessage(EventId = 9, Level = LogLevel.Error, Message = "a call on {Subject} failed inside the node")]
    public static partial void Internal(ILogger logger, Exception exception, string subject);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "overloaded: refused a call on {Subject} ({Admitted} waiting)")]
    public static partial void Overloaded(ILogger logger, string subject, int admitted);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "{Function} invocation {InvocationId} (token {TokenId}) refused {Capability} to {Target}: {Reason}")]
    public static partial void CapabilityRefused(ILogger logger, string function, string tokenId, string invocationId, string capability, string target, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "{Function} invocation {InvocationId} called {Subject}, which answered {Code}: {Message}")]
    public static partial void CalledFunctionFailed(ILogger logger, string function, string invocationId, string subject, string code, string message);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "{Function} invocation {InvocationId} fanned out to {Target}, which did not answer within {Wait}")]
    public static partial void BranchTimedOut(ILogger logger, string function, string invocationId, string target, TimeSpan wait);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "step {Step} of a chain ({Function}) failed with nobody to tell: {Code}: {Message}")]
    public static partial void ChainStepLost(ILogger logger, int step, string function, string code, string message);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "revoked: {Kind} {Id}")]
    public static partial void Revoked(ILogger logger, string kind, string id);

    [LoggerMessage(EventId = 16, Level = LogLevel.Warning, Message = "revocation lifted: {Kind} {Id}")]
    public static partial void RevocationLifted(ILogger logger, string kind, string id);

    [LoggerMessage(EventId = 17, Level = LogLevel.Warning, Message = "ignored revocation key '{Key}': neither token.<id> nor issuer.<public key>")]
    public static partial void RevocationIgnored(ILogger logger, string key);

    [LoggerMessage(EventId = 18, Level = LogLevel.Information, Message = "revocations loaded: {Tokens} token(s), {Issuers} issuer(s) from bucket {Bucket}")]
    public static partial void RevocationsLoaded(ILogger logger, int tokens, int issuers, string bucket);

    [LoggerMessage(EventId = 19, Level = LogLevel.Warning, Message = "cannot see the revocation bucket {Bucket}: {Reason}")]
    public static partial void RevocationFeedLost(ILogger logger, string bucket, string reason);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "taking jobs from stream {Stream}, {Concurrency} at once")]
    public static partial void JobsServing(ILogger logger, string stream, int concurrency);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "job on {Subject} failed on delivery {Delivery} ({Code}); delivered again in {Delay}")]
    public static partial void JobRetried(ILogger logger, string subject, int delivery, string code, TimeSpan delay);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "job on {Subject} is dead after {Deliveries} deliveries: {Code}: {Message}")]
    public static partial void JobDead(ILogger logger, string subject, int deliveries, string code, string message);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "cannot declare the job streams yet: {Reason}; trying again")]
    public static partial void JobsNotReady(ILogger logger, string reason);
}
