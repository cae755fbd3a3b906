using Mesh.Contracts.Wire;
using Microsoft.Extensions.Logging;

namespace Mesh.Node;

/// <summary>
/// Every log line the node writes, source-generated, in one place. A parameter that can hold a
/// guest's or a caller's text (a log line, a subject, a URL, an error message) is made printable
/// here on its way in (<see cref="PrintableText"/>): the generated method taking it is private and
/// its public wrapper cleans it, so no call site can forget.
/// </summary>
internal static partial class Log
{
    private const int MaxUntrusted = 2048;

    private static string U(string text) => PrintableText.Clean(text, MaxUntrusted);

    public static void GuestLine(ILogger logger, LogLevel level, string function, string tokenId, string invocationId, string line)
    {
        if (logger.IsEnabled(level))
        {
            GuestLineCore(logger, level, function, tokenId, invocationId, U(line));
        }
    }

    public static void Failed(ILogger logger, string subject, string invocationId, string tokenId, string code, string message)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            FailedCore(logger, U(subject), invocationId, tokenId, code, U(message));
        }
    }

    public static void Denied(ILogger logger, string function, string invocationId, string tokenId, string capability) =>
        DeniedCore(logger, function, invocationId, tokenId, U(capability));

    public static void Internal(ILogger logger, Exception exception, string subject) => InternalCore(logger, exception, U(subject));

    public static void Overloaded(ILogger logger, string subject, int admitted) => OverloadedCore(logger, U(subject), admitted);

    public static void CapabilityRefused(ILogger logger, string function, string tokenId, string invocationId, string capability, string target, string reason) =>
        CapabilityRefusedCore(logger, function, tokenId, invocationId, capability, U(target), U(reason));

    public static void CalledFunctionFailed(ILogger logger, string function, string invocationId, string subject, string code, string message) =>
        CalledFunctionFailedCore(logger, function, invocationId, U(subject), U(code), U(message));

    public static void ChainStepLost(ILogger logger, int step, string function, string code, string message) =>
        ChainStepLostCore(logger, step, U(function), code, U(message));

    public static void RevocationIgnored(ILogger logger, string key) => RevocationIgnoredCore(logger, U(key));

    public static void JobRetried(ILogger logger, string subject, int delivery, string code, TimeSpan delay) =>
        JobRetriedCore(logger, U(subject), delivery, code, delay);

    public static void RefusedAtOnce(ILogger logger, string subject, string code, string message)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            RefusedAtOnceCore(logger, U(subject), code, U(message));
        }
    }

    public static void ReplyRefused(ILogger logger, string subject, string replyTo) => ReplyRefusedCore(logger, U(subject), U(replyTo));

    public static void JobDead(ILogger logger, string subject, int deliveries, string code, string message) =>
        JobDeadCore(logger, U(subject), deliveries, code, U(message));

    [LoggerMessage(EventId = 1, Message = "guest {Function} (token {TokenId}, invocation {InvocationId}): {Line}")]
    private static partial void GuestLineCore(ILogger logger, LogLevel level, string function, string tokenId, string invocationId, string line);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "node serving mesh.fn.> in queue group {QueueGroup} on {Url}: concurrency {Concurrency}, queue {QueueLength}, {TrustedRoots} trusted root(s)")]
    public static partial void Serving(ILogger logger, string queueGroup, string url, int concurrency, int queueLength, int trustedRoots);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "{Function} invocation {InvocationId} (token {TokenId}) ok in {Microseconds} µs")]
    public static partial void Invoked(ILogger logger, string function, string invocationId, string tokenId, long microseconds);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "{Subject} invocation {InvocationId} (token {TokenId}) refused or failed: {Code}: {Message}")]
    private static partial void FailedCore(ILogger logger, string subject, string invocationId, string tokenId, string code, string message);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "{Function} invocation {InvocationId} (token {TokenId}) was refused capability {Capability}")]
    private static partial void DeniedCore(ILogger logger, string function, string invocationId, string tokenId, string capability);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "draining: no new calls; waiting up to {Timeout} for {InFlight} admitted call(s)")]
    public static partial void Draining(ILogger logger, TimeSpan timeout, int inFlight);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "drained: {Left} admitted call(s) left at exit")]
    public static partial void Drained(ILogger logger, int left);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "compiled module {Digest} ({Bytes} bytes) in {Milliseconds} ms")]
    public static partial void Compiled(ILogger logger, string digest, int bytes, long milliseconds);

    [LoggerMessage(EventId = 9, Level = LogLevel.Error, Message = "a call on {Subject} failed inside the node")]
    private static partial void InternalCore(ILogger logger, Exception exception, string subject);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "overloaded: refused a call on {Subject} ({Admitted} waiting)")]
    private static partial void OverloadedCore(ILogger logger, string subject, int admitted);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "{Function} invocation {InvocationId} (token {TokenId}) refused {Capability} to {Target}: {Reason}")]
    private static partial void CapabilityRefusedCore(ILogger logger, string function, string tokenId, string invocationId, string capability, string target, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "{Function} invocation {InvocationId} called {Subject}, which answered {Code}: {Message}")]
    private static partial void CalledFunctionFailedCore(ILogger logger, string function, string invocationId, string subject, string code, string message);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "{Function} invocation {InvocationId} fanned out to {Target}, which did not answer within {Wait}")]
    public static partial void BranchTimedOut(ILogger logger, string function, string invocationId, string target, TimeSpan wait);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "step {Step} of a chain ({Function}) failed with nobody to tell: {Code}: {Message}")]
    private static partial void ChainStepLostCore(ILogger logger, int step, string function, string code, string message);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "revoked: {Kind} {Id}")]
    public static partial void Revoked(ILogger logger, string kind, string id);

    [LoggerMessage(EventId = 16, Level = LogLevel.Warning, Message = "revocation lifted: {Kind} {Id}")]
    public static partial void RevocationLifted(ILogger logger, string kind, string id);

    [LoggerMessage(EventId = 17, Level = LogLevel.Warning, Message = "ignored revocation key '{Key}': neither token.<id> nor issuer.<public key>")]
    private static partial void RevocationIgnoredCore(ILogger logger, string key);

    [LoggerMessage(EventId = 18, Level = LogLevel.Information, Message = "revocations loaded: {Tokens} token(s), {Issuers} issuer(s) from bucket {Bucket}")]
    public static partial void RevocationsLoaded(ILogger logger, int tokens, int issuers, string bucket);

    [LoggerMessage(EventId = 19, Level = LogLevel.Warning, Message = "cannot see the revocation bucket {Bucket}: {Reason}")]
    public static partial void RevocationFeedLost(ILogger logger, string bucket, string reason);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "taking jobs from stream {Stream}, {Concurrency} at once")]
    public static partial void JobsServing(ILogger logger, string stream, int concurrency);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "job on {Subject} failed on delivery {Delivery} ({Code}); delivered again in {Delay}")]
    private static partial void JobRetriedCore(ILogger logger, string subject, int delivery, string code, TimeSpan delay);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "job on {Subject} is dead after {Deliveries} deliveries: {Code}: {Message}")]
    private static partial void JobDeadCore(ILogger logger, string subject, int deliveries, string code, string message);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "cannot declare the job streams yet: {Reason}; trying again")]
    public static partial void JobsNotReady(ILogger logger, string reason);

    [LoggerMessage(EventId = 24, Level = LogLevel.Warning, Message = "not run: a message on {Subject} asked for its answer on {ReplyTo}, which is not under the inbox prefix this node answers (Mesh:Nats:ReplyPrefix)")]
    private static partial void ReplyRefusedCore(ILogger logger, string subject, string replyTo);

    [LoggerMessage(EventId = 25, Level = LogLevel.Debug, Message = "{Subject} refused without running: {Code}: {Message}")]
    private static partial void RefusedAtOnceCore(ILogger logger, string subject, string code, string message);

    [LoggerMessage(EventId = 26, Level = LogLevel.Warning, Message = "job consumer {Consumer} delivers at most {ConsumerDeliveries} times with an ack wait of {AckWait}, while this node is set to {NodeDeliveries} deliveries and may run a job {WallTime}: dead-lettering after {Deliveries}; run mesh deploy (or align Mesh:Jobs) if a job may outlast the ack wait")]
    public static partial void JobsConsumerDiffers(ILogger logger, string consumer, long consumerDeliveries, TimeSpan ackWait, int nodeDeliveries, TimeSpan wallTime, int deliveries);

    [LoggerMessage(EventId = 27, Level = LogLevel.Error, Message = "the revocation bucket {Bucket} does not exist: this node refuses calls until an operator creates it (mesh deploy); a node never does, as an empty bucket would lift every revocation")]
    public static partial void RevocationBucketMissing(ILogger logger, string bucket);

    [LoggerMessage(EventId = 28, Level = LogLevel.Information, Message = "reading the revocation bucket {Bucket} afresh: {Reason}")]
    public static partial void RevocationReread(ILogger logger, string bucket, string reason);

    [LoggerMessage(EventId = 45, Level = LogLevel.Information, Message = "the watch of the revocation bucket {Bucket} lagged or ended: resumed at revision {Revision} (confirmations kept the node current)")]
    public static partial void RevocationWatchResumed(ILogger logger, string bucket, long revision);

    [LoggerMessage(EventId = 29, Level = LogLevel.Information, Message = "job on {Subject} handed back for another node: this node is stopping")]
    public static partial void JobHandedBack(ILogger logger, string subject);

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "no jobs taken: stream {Stream} or its consumer {Consumer} does not exist; an operator declares them (mesh deploy), a node never does")]
    public static partial void JobsNotDeclared(ILogger logger, string stream, string consumer);

    [LoggerMessage(EventId = 31, Level = LogLevel.Error, Message = "{Message}")]
    public static partial void HostCallFailed(ILogger logger, Exception exception, string message);

    [LoggerMessage(EventId = 32, Level = LogLevel.Warning, Message = "function log entries not published: {Reason}")]
    public static partial void FunctionLogsLost(ILogger logger, string reason);

    [LoggerMessage(EventId = 33, Level = LogLevel.Warning, Message = "{Count} function log entries dropped: more than {QueueLength} were waiting to be published")]
    public static partial void FunctionLogsOverflow(ILogger logger, long count, int queueLength);

    [LoggerMessage(EventId = 34, Level = LogLevel.Information, Message = "schedule {Schedule}: tick {Tick:u} handed on as a durable job")]
    public static partial void ScheduleTick(ILogger logger, string schedule, DateTimeOffset tick);

    [LoggerMessage(EventId = 35, Level = LogLevel.Warning, Message = "schedule {Schedule}: tick {Tick} not handed on yet, trying again: {Reason}")]
    public static partial void ScheduleNotHandedOn(ILogger logger, string schedule, string tick, string reason);

    [LoggerMessage(EventId = 36, Level = LogLevel.Warning, Message = "schedule {Schedule}: its token expired at {Expires:u}; it runs again once mesh deploy writes a new one")]
    public static partial void ScheduleTokenExpired(ILogger logger, string schedule, DateTimeOffset expires);

    [LoggerMessage(EventId = 37, Level = LogLevel.Information, Message = "secrets service: sealing key {PublicKey}; releasing on {Subject}")]
    public static partial void SecretsServing(ILogger logger, string publicKey, string subject);

    [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "secrets service: the revocation bucket was not read within {Seconds} s; releases are refused (node.revocation_unknown) until it is")]
    public static partial void SecretsRevocationsUnread(ILogger logger, int seconds);

    [LoggerMessage(EventId = 38, Level = LogLevel.Information, Message = "secret {Secret} released for {Function}, token {TokenId}")]
    public static partial void SecretReleased(ILogger logger, string secret, string function, string tokenId);

    [LoggerMessage(EventId = 39, Level = LogLevel.Warning, Message = "secret {Secret} refused, token {TokenId}: {Code}: {Reason}")]
    public static partial void SecretRefused(ILogger logger, string secret, string tokenId, string code, string reason);

    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "secret {Secret} for {Function} unavailable: {Reason}")]
    public static partial void SecretUnavailable(ILogger logger, string secret, string function, string reason);

    [LoggerMessage(EventId = 43, Level = LogLevel.Warning, Message = "this node's clock is {SkewMs} ms off the NATS server's (read over a {RoundTripMs} ms round trip): schedules follow the server's; tokens tolerate 30 s; fix the clock (NTP)")]
    public static partial void ClockSkewed(ILogger logger, long skewMs, long roundTripMs);

    [LoggerMessage(EventId = 44, Level = LogLevel.Information, Message = "this node's clock is within {SkewMs} ms of the NATS server's again")]
    public static partial void ClockInSync(ILogger logger, long skewMs);

    [LoggerMessage(EventId = 42, Level = LogLevel.Information, Message = "secret {Secret} changed (put or removed): released copies dropped")]
    public static partial void SecretForgotten(ILogger logger, string secret);
}
