using Mesh.Contracts.HostCalls;
using Mesh.Contracts.Tokens;
using Mesh.Contracts.Tokens.Rules;
using Mesh.Contracts.Wire;

namespace Mesh.IntegrationTests;

/// <summary>
/// The <c>http-probe</c> module as a guest that sends whatever HTTP request a test gives it: the
/// test writes the request as the ABI message, the guest passes it to <c>mesh.http_request</c>
/// unchanged and answers with the response, or with the host's status negated.
/// </summary>
public sealed class HttpProbe(MeshCluster mesh, Sha256Digest module)
{
    public const string Function = "httpprobe";

    public static async Task<HttpProbe> DeployAsync(MeshCluster mesh) => new(mesh, await mesh.DeployAsync(MeshCluster.Wat("http-probe")));

    public Sha256Digest Module => module;

    public string Grant(params string[] rules) => Grant(rules, null);

    public string Grant(string[] rules, Limits? limits) => mesh.Grant(Function, module, CapabilitySet.None with
    {
        Http = [.. rules.Select(r => RuleText.TryParseHttp(r, out var rule, out var error) ? rule! : throw new ArgumentException(error))],
    }, limits);

    public Task<Reply> SendAsync(string token, string method, string url, params (string, string)[] headers) =>
        SendAsync(token, method, url, [], headers);

    public async Task<Reply> SendAsync(string token, string method, string url, byte[] body, params (string, string)[] headers)
    {
        var request = HttpExchange.WriteRequest(new HttpExchange.Request(method, url, [.. headers], body));
        var headersOut = new NATS.Client.Core.NatsHeaders { [MeshHeaders.Token] = token };
        var reply = await mesh.Client.RequestAsync<byte[], byte[]>(Subjects.ForFunction(Function), request, headersOut);
        return Reply.From(reply);
    }

    public static HttpExchange.Response Response(Reply reply) => HttpExchange.ReadResponse(reply.Data);

    /// <summary>What the probe answers when the host returned <paramref name="status"/> negated: 1 denied, 3 over a limit, 7 invalid.</summary>
    public static string Returned(int status) => $"the function returned {status}";
}
