using System.Buffers;
using Mesh.Client;
using Mesh.Contracts.HostCalls;
using Mesh.Contracts.Wire;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Mesh.Gateway;

/// <summary>
/// One HTTP request as one call: the body (bounded before it is read) is the input, the method,
/// path, query and chosen headers go along for <c>http_info</c>, the trace context joins the
/// client's, and the reply becomes the response: the function's status and headers when it set
/// them, else 200 with the output; an error is a problem (RFC 9457) with its Mesh code.
/// Everything, the body's arrival included, ends within the gateway's timeout.
/// </summary>
public sealed class HttpInvocation(MeshClient client, GatewayLimits limits, CallWait waits, ForwardedHeaders forwarded, ILogger<HttpInvocation> logger)
{
    public async Task HandleAsync(HttpContext http, string function, string? token, RoutePolicy policy)
    {
        var trace = TraceContext.From(http.Request);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        deadline.CancelAfter(limits.Timeout);
        if (string.IsNullOrEmpty(token))
        {
            await Problem(ErrorCode.TokenMissing, "send the token as 'Authorization: Bearer <token>' (or call a public route)", function, trace).WriteAsync(http.Response, deadline.Token);
            return;
        }

        var body = await ReadBodyAsync(http, function, trace, deadline.Token);
        if (body is null)
        {
            return;
        }

        using (body)
        {
            var request = HttpTrigger.Write(new HttpTrigger.Request(
                http.Request.Method,
                RawPath(http),
                http.Request.QueryString.HasValue ? http.Request.QueryString.Value![1..] : "",
                forwarded.Select(http.Request.Headers)));
            List<KeyValuePair<string, string>> headers = [new(MeshHeaders.HttpRequest, HttpTrigger.Encode(request)), new(MeshHeaders.TraceParent, trace.TraceParent)];
            if (trace.TraceState is { } state)
            {
                headers.Add(new(MeshHeaders.TraceState, state));
            }

            // Waited on for what the function may take, not the gateway's whole timeout; tried on
            // another node when it never started, and after it may have run only on an idempotent route.
            var wait = waits.For(token, function);
            MeshReply reply;
            try
            {
                reply = await client.CallAsync(function, token, body.Memory, new CallOptions
                {
                    Timeout = wait,
                    StartWithin = limits.StartWithin,
                    Idempotent = policy.Idempotent,
                    // A call that did not start is tried again until the gateway's deadline: busy
                    // nodes shed what they cannot start in time, and a dead one leaves it unstarted.
                    Retries = NotStartedRetries,
                    Headers = headers,
                }, deadline.Token);
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                await Problem(ErrorCode.RequestTimeout, $"no answer within {limits.Timeout.TotalSeconds:0.###} s", function, trace).WriteAsync(http.Response, CancellationToken.None);
                return;
            }
            catch (NATS.Client.Core.NatsException)
            {
                // NATS away (reconnecting): nothing was called; worth retrying shortly.
                await Problem(ErrorCode.NodeUnavailable, "the gateway cannot reach NATS right now; retry", function, trace).WriteAsync(http.Response, CancellationToken.None);
                return;
            }

            try
            {
                await AnswerAsync(http, reply, function, trace, policy);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException && http.RequestAborted.IsCancellationRequested)
            {
                // The client left before its answer was written: nobody to tell.
            }
        }
    }

    // Attempts after the first for calls no node started (with backoff from 100 ms, doubling to a
    // few seconds); the gateway's timeout ends them sooner. Calls that may have run are tried again
    // only on an idempotent route.
    private const int NotStartedRetries = 8;

    private async Task AnswerAsync(HttpContext http, MeshReply reply, string function, TraceContext trace, RoutePolicy policy)
    {
        if (!reply.IsOk)
        {
            var code = reply.Code == ErrorCode.NodeInternal && reply.Status == "reply.unknown" ? ErrorCode.NodeUnavailable : reply.Code;
            await ProblemResponse.For(code, reply.Message, reply.Function ?? function, reply.Step, trace.TraceId).WriteAsync(http.Response, http.RequestAborted);
            return;
        }

        var status = 200;
        if (reply.HttpResponse is { } text)
        {
            // The node checked it; checked again here, because the gateway sends it on as it is.
            if (HttpTrigger.Decode(text) is not { } bytes || !HttpTrigger.TryReadResponse(bytes, out var response, out var error))
            {
                Log.ResponseRefused(logger, function, "not base64url MessagePack");
                await Problem(ErrorCode.FunctionError, "the function's HTTP status and headers were refused", function, trace).WriteAsync(http.Response, http.RequestAborted);
                return;
            }

            status = response!.Status;
            foreach (var (name, value) in response.Headers)
            {
                if (policy.Passes(name))
                {
                    http.Response.Headers.Append(name, value);
                }
                else
                {
                    Log.ResponseHeaderDropped(logger, function, name);
                }
            }
        }

        if (!policy.Active)
        {
            // Added to whatever policy the function set: browsers enforce every one they get.
            http.Response.Headers.Append("Content-Security-Policy", RoutePolicy.Sandbox);
        }

        http.Response.StatusCode = status;
        if (status is 204 or 304 || HttpMethods.IsHead(http.Request.Method))
        {
            return;
        }

        if (reply.Output.Length > 0 && string.IsNullOrEmpty(http.Response.ContentType))
        {
            http.Response.ContentType = "application/octet-stream";
        }

        http.Response.ContentLength = reply.Output.Length;
        await http.Response.Body.WriteAsync(reply.Output, http.RequestAborted);
    }

    // The body, or null when a problem was answered instead: too large (before reading what is
    // over), too slow (Kestrel's minimum rate, or the deadline), or the client gone.
    private async Task<PooledBody?> ReadBodyAsync(HttpContext http, string function, TraceContext trace, CancellationToken cancellationToken)
    {
        var max = limits.MaxBodyBytes;
        if (http.Request.ContentLength > max)
        {
            await TooLarge(http, function, trace, http.Request.ContentLength.Value, max);
            return null;
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = max;
        }

        var body = new PooledBody((int)Math.Min(http.Request.ContentLength ?? 4096, max));
        try
        {
            while (true)
            {
                var read = await http.Request.Body.ReadAsync(body.Free(), cancellationToken);
                if (read == 0)
                {
                    return body;
                }

                if (!body.Advance(read, max))
                {
                    body.Dispose();
                    await TooLarge(http, function, trace, null, max);
                    return null;
                }
            }
        }
        catch (BadHttpRequestException e)
        {
            body.Dispose();
            var code = e.StatusCode switch
            {
                413 => ErrorCode.RequestTooLarge,
                408 => ErrorCode.RequestTimeout,
                _ => ErrorCode.RequestMalformed,
            };
            var problem = Problem(code, code == ErrorCode.RequestTimeout ? "the body arrived too slowly" : e.Message, function, trace);
            await (problem with { Status = e.StatusCode }).WriteAsync(http.Response, CancellationToken.None);
            return null;
        }
        catch (OperationCanceledException) when (!http.RequestAborted.IsCancellationRequested)
        {
            body.Dispose();
            var problem = Problem(ErrorCode.RequestTimeout, $"the body did not arrive within {limits.Timeout.TotalSeconds:0.###} s", function, trace);
            await (problem with { Status = 408 }).WriteAsync(http.Response, CancellationToken.None);
            return null;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            body.Dispose();
            return null;
        }
    }

    private static Task TooLarge(HttpContext http, string function, TraceContext trace, long? length, long max) =>
        Problem(ErrorCode.RequestTooLarge, $"the body{(length is null ? "" : $" of {length} bytes")} is larger than {max} bytes", function, trace)
            .WriteAsync(http.Response, CancellationToken.None);

    private static ProblemResponse Problem(ErrorCode code, string detail, string function, TraceContext trace) =>
        ProblemResponse.For(code, detail, function, null, trace.TraceId);

    // The path as the client sent it (percent-encoding kept), without the query.
    private static string RawPath(HttpContext http)
    {
        var target = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path.Value ?? "/";
        var query = target.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? target : target[..query];
        return path.StartsWith('/') ? path : http.Request.Path.Value ?? "/";
    }

    /// <summary>A request body in a pooled buffer that grows to the limit and no further.</summary>
    private sealed class PooledBody(int initial) : IDisposable
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initial, 256) + 1);
        private int _length;

        public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

        public Memory<byte> Free()
        {
            if (_length == _buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
                _buffer.AsSpan(0, _length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }

            return _buffer.AsMemory(_length);
        }

        public bool Advance(int count, long max)
        {
            _length += count;
            return _length <= max;
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);
    }
}
