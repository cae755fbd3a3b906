using System.Net;
using System.Net.Sockets;
using Mesh.Contracts.HostCalls;
using Mesh.Contracts.Tokens.Rules;
using Mesh.Contracts.Wire;
using Mesh.Node.Messaging;
using Mesh.Node.Sandbox;
using Mesh.Node.Secrets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Retry;

namespace Mesh.Node.Capabilities;

/// <summary>
/// <c>mesh.http_request</c>. A request goes out only if its URL is unambiguous, its path means the
/// same to any server (see <see cref="HttpTarget"/>), its method and headers can only be sent as the
/// one request they say (<see cref="HttpRequestCheck"/>), a rule of every block allows its scheme,
/// host, port, method and path, and the host's addresses pass <see cref="PublicAddresses"/>: the
/// connection is made to the very addresses that were vetted, so DNS rebinding has nothing to switch. Redirects are never followed.
/// Sizes and time are bounded; retries (idempotent methods only) and a per-host circuit breaker
/// come from Polly.
/// </summary>
public sealed class HttpCapability : ICapability, IDisposable
{
    private readonly HttpClient _client;
    private readonly ResiliencePipelineRegistry<string> _breakers = new();
    private readonly ResiliencePipeline<HttpResponseMessage> _retry;
    private readonly NodeStats _stats;
    private readonly ILogger<HttpCapability> _logger;
    private readonly CeilingOptions _ceilings;

    private readonly IHostResolver _resolver;
    private readonly Secrets.SecretClient _secrets;

    public HttpCapability(NodeStats stats, IHostResolver resolver, Secrets.SecretClient secrets, IOptions<NodeOptions> options, ILogger<HttpCapability> logger)
    {
        _stats = stats;
        _secrets = secrets;
        _resolver = resolver;
        _logger = logger;
        _ceilings = options.Value.Ceilings;
        _client = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectCallback = ConnectToVettedAddressAsync,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _retry = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = 2,
                Delay = TimeSpan.FromMilliseconds(100),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = Transient,
            })
            .Build();
    }

    public IReadOnlyList<HostCall> HostCalls =>
    [
        new(GuestAbi.HttpRequest, ["req_ptr", "req_len"], "n", call =>
            call.TrySpan(0, out var request) ? Request(call.Context, request.ToArray()) : HostStatus.OutOfBounds)
        {
            Needs = "http",
            Allowed = static grant => grant.MayUseHttp,
        },
    ];

    private static PredicateBuilder<HttpResponseMessage> Transient => new PredicateBuilder<HttpResponseMessage>()
        .Handle<HttpRequestException>(e => e.InnerException is not AddressRefusedException)
        .HandleResult(r => (int)r.StatusCode is 502 or 503 or 504);

    public int Request(InvocationContext context, ReadOnlyMemory<byte> requestBytes)
    {
        if (!HttpExchange.TryReadRequest(requestBytes, out var request, out _))
        {
            return HostStatus.Invalid;
        }

        // Everything the request says is checked before anything is sent; the checks refuse, never repair.
        var method = HttpRequestCheck.Method(request!.Method.ToUpperInvariant());
        if (method == HttpMethods.None)
        {
            return Refuse(context, request.Method, "not an HTTP method Mesh knows (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)", HostStatus.Invalid);
        }

        if (!HttpTarget.TryParse(request.Url, out var target, out var why))
        {
            return Refuse(context, request.Url, why, HostStatus.Invalid);
        }

        if (HttpRequestCheck.HeaderProblem(request) is { } problem)
        {
            return Refuse(context, request.Url, problem, HostStatus.Invalid);
        }

        var grant = context.Grant;
        if (!grant.AllowsHttp(target!.Scheme, target.Host, target.Port, method, target.Path))
        {
            return Refuse(context, $"{request.Method} {request.Url}", "no http rule of the token allows it", HostStatus.Denied);
        }

        if (request.Body.Length > _ceilings.MessageBytes || !context.TakeMessage())
        {
            return HostStatus.LimitExceeded;
        }

        // Secrets the grant binds to this very request are added here, after every check, and
        // only here: a guest header of the same name is refused rather than replaced, so the guest
        // can tell, and nothing of the value ever comes back to it: not in the request, and not in
        // an answer that echoes it (see SecretEchoes), which is why such a request may not ask
        // for a compressed answer the node could not search.
        var secrets = grant.SecretsFor(target.Scheme, target.Host, target.Port, method, target.Path);
        SecretEchoes? echoes = null;
        if (!secrets.IsEmpty)
        {
            if (secrets.Select(b => b.Header.ToLowerInvariant()).Distinct().Count() != secrets.Length)
            {
                return Refuse(context, $"{request.Method} {request.Url}", "two secrets are bound to one header for this request", HostStatus.Denied);
            }

            if (request.Headers.FirstOrDefault(h => secrets.Any(b => b.Header.Equals(h.Name, StringComparison.OrdinalIgnoreCase))) is { Name: { } taken })
            {
                return Refuse(context, $"{request.Method} {request.Url}", $"the header '{taken}' carries a secret the node adds; the function may not set it", HostStatus.Denied);
            }

            // An answer the node could not search whole: compressed, or a slice (a range of an
            // echo could hand the key over a few bytes at a time, none a whole form of it).
            if (request.Headers.FirstOrDefault(h => (h.Name.Equals("Accept-Encoding", StringComparison.OrdinalIgnoreCase) && !h.Value.Trim().Equals("identity", StringComparison.OrdinalIgnoreCase))
                || h.Name.Equals("Range", StringComparison.OrdinalIgnoreCase)) is { Name: not null } partial)
            {
                return Refuse(context, $"{request.Method} {request.Url}", $"a request that carries a secret may not ask for a compressed or partial answer ('{partial.Name}: {PrintableText.Clean(partial.Value, 64)}'): the node searches the whole answer for the secret", HostStatus.Denied);
            }

            var (added, scrub) = _secrets.Headers(context, secrets);
            request = request with { Headers = request.Headers.AddRange(added) };
            echoes = scrub;
        }

        var timeout = context.Remaining < _ceilings.HttpTimeout ? context.Remaining : _ceilings.HttpTimeout;
        if (timeout <= TimeSpan.Zero)
        {
            return HostStatus.Timeout;
        }

        // Host calls are synchronous (the node runs Wasmtime without its async support): the request is waited on here, within
        // the invocation's remaining wall time.
        return SendAsync(context, request, method, target, timeout, echoes).GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        _client.Dispose();
        _breakers.Dispose();
    }

    private async Task<int> SendAsync(InvocationContext context, HttpExchange.Request request, HttpMethods method, HttpTarget target, TimeSpan timeout, SecretEchoes? echoes)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.Deadline);
        deadline.CancelAfter(timeout);
        var breaker = _breakers.GetOrAddPipeline<HttpResponseMessage>(target.Host, builder => builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
        {
            FailureRatio = 0.5,
            MinimumThroughput = 10,
            SamplingDuration = TimeSpan.FromSeconds(30),
            BreakDuration = TimeSpan.FromSeconds(15),
            ShouldHandle = Transient,
        }));
        var idempotent = (method & (HttpMethods.Get | HttpMethods.Head | HttpMethods.Put | HttpMethods.Delete | HttpMethods.Options)) != 0;
        try
        {
            using var response = idempotent
                ? await _retry.ExecuteAsync(ct => breaker.ExecuteAsync(c => SendOnceAsync(request, target, c), ct), deadline.Token)
                : await breaker.ExecuteAsync(ct => SendOnceAsync(request, target, ct), deadline.Token);
            var body = await ReadBoundedAsync(response, deadline.Token);
            if (body is null)
            {
                return HostStatus.LimitExceeded;
            }

            var headers = response.Headers.Concat(response.Content.Headers)
                .SelectMany(h => h.Value.Select(v => (h.Key, v)))
                .Take(64)
                .ToArray();
            if (echoes is not null)
            {
                var encoding = response.Content.Headers.ContentEncoding;
                if (encoding.Count > 0)
                {
                    // Asked for none, sent one anyway: read it as the guest would, or not at all.
                    body = ResponseDecoding.Decode(body, encoding, _ceilings.HttpResponseBytes, out var problem);
                    if (body is null)
                    {
                        return problem == ResponseDecoding.TooLarge
                            ? HostStatus.LimitExceeded
                            : Refuse(context, $"{request.Method} {request.Url}", $"the answer to a request carrying a secret came {problem}, which the node cannot search for the secret", HostStatus.Denied);
                    }

                    headers = [.. headers.Where(h => !h.Key.Equals("Content-Encoding", StringComparison.OrdinalIgnoreCase) && !h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))];
                }

                body = ScrubAnswer(context, target, echoes, headers, body);
            }

            return context.SetResult(HttpExchange.WriteResponse(new HttpExchange.Response((int)response.StatusCode, [.. headers], body)));
        }
        catch (HttpRequestException e) when (e.InnerException is AddressRefusedException refused)
        {
            return Refuse(context, request.Url, refused.Message, HostStatus.Denied);
        }
        catch (OperationCanceledException)
        {
            return HostStatus.Timeout;
        }
        catch (Exception e) when (e is HttpRequestException or BrokenCircuitException or IOException)
        {
            return HostStatus.Unavailable;
        }
    }

    private async ValueTask<HttpResponseMessage> SendOnceAsync(HttpExchange.Request request, HttpTarget target, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(new HttpMethod(request.Method.ToUpperInvariant()), target.Uri);
        if (request.Body.Length > 0)
        {
            message.Content = new ByteArrayContent(request.Body);
        }

        foreach (var (name, value) in request.Headers)
        {
            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                message.Content ??= new ByteArrayContent([]);
                message.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return await _client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    private async Task<byte[]?> ReadBoundedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var limit = _ceilings.HttpResponseBytes;
        if (response.Content.Headers.ContentLength > limit)
        {
            return null;
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    // Every form of every secret added, out of header names, values and the body; each secret found
    // is recorded like a refusal (the reply's Mesh-Denied, the node's log, mesh logs, the dashboard).
    private byte[] ScrubAnswer(InvocationContext context, HttpTarget target, SecretEchoes echoes, (string Key, string Value)[] headers, byte[] body)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < headers.Length; i++)
        {
            headers[i] = (echoes.Scrub(headers[i].Key, found), echoes.Scrub(headers[i].Value, found));
        }

        body = echoes.Scrub(body, found);
        foreach (var secret in found)
        {
            Refusal.Record(context, _stats, _logger, "secret", secret, $"the answer from {target.Host} echoed it; replaced with {SecretEchoes.Marker} before the function read it");
        }

        return body;
    }

    private int Refuse(InvocationContext context, string target, string reason, int status)
    {
        Refusal.Record(context, _stats, _logger, "http", target, reason);
        return status;
    }

    // IP literals reach here only when a rule named them exactly; names must resolve to globally
    // reachable addresses, and the socket connects to those very addresses (no second lookup, so
    // DNS rebinding has nothing to switch). What is judged is what is dialled.
    private async ValueTask<Stream> ConnectToVettedAddressAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        IPAddress[] addresses;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else
        {
            var resolved = await _resolver.ResolveAsync(host, cancellationToken);
            var refused = resolved.Select(a => (Address: a, Why: PublicAddresses.WhyNotPublic(a))).Where(a => a.Why is not null).ToArray();
            addresses = [.. resolved.Where(PublicAddresses.IsPublic)];
            if (addresses.Length == 0)
            {
                var reasons = refused.Length == 0 ? "no address" : string.Join("; ", refused.Select(r => $"{r.Address}: {r.Why}"));
                throw new AddressRefusedException($"{host} resolves to no globally reachable address ({reasons}); only a rule naming the IP can reach those");
            }
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed class AddressRefusedException(string message) : Exception(message);
}
