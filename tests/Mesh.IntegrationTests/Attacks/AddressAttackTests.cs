using Mesh.Node.Capabilities;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.IntegrationTests.Attacks;

/// <summary>
/// Issue 11 §4: a guest granted a host name whose DNS the attacker controls points it at addresses
/// that are not globally reachable: documentation ranges (192.0.2.2 is this very machine's address
/// here), NAT64 and the other forms that embed loopback or metadata, unique-local IPv6. The node's
/// resolver is one the test controls. Every such name is refused (-1) with the address named, the
/// server on loopback receives nothing, and a rule naming the IP literally still reaches it.
/// </summary>
public sealed class AddressAttackTests(AddressAttackTests.MappedNames fixture) : IClassFixture<AddressAttackTests.MappedNames>, IDisposable
{
    private readonly RawHttpServer _server = new();

    public sealed class MappedNames : OwnMeshFixture
    {
        public static readonly Dictionary<string, string[]> Names = new()
        {
            ["testnet.attacker.example"] = ["192.0.2.2"],
            ["loopback.attacker.example"] = ["127.0.0.1"],
            ["mapped.attacker.example"] = ["::ffff:127.0.0.1"],
            ["compatible.attacker.example"] = ["::7f00:1"],
            ["nat64.attacker.example"] = ["64:ff9b::7f00:1"],
            ["nat64-metadata.attacker.example"] = ["64:ff9b::a9fe:a9fe"],
            ["local-nat64.attacker.example"] = ["64:ff9b:1::7f00:1"],
            ["sixtofour.attacker.example"] = ["2002:7f00:1::1"],
            ["teredo.attacker.example"] = ["2001:0:4136:e378:8000:63bf:80ff:fffe"],
            ["documentation6.attacker.example"] = ["2001:db8::1"],
            ["unique-local.attacker.example"] = ["fd00::2"],
            ["benchmark.attacker.example"] = ["198.18.0.1"],
            ["mixed.attacker.example"] = ["192.0.2.2", "127.0.0.1", "::1"],
        };

        public HttpProbe Probe { get; private set; } = null!;

        protected override void AddServices(IServiceCollection services) =>
            services.AddSingleton<IHostResolver>(new MappedHostResolver(Names));

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Probe = await HttpProbe.DeployAsync(Mesh);
        }
    }

    public void Dispose() => _server.Dispose();

    public static TheoryData<string> AttackerNames => [.. MappedNames.Names.Keys];

    [Theory]
    [MemberData(nameof(AttackerNames))]
    public async Task ANameLeadingToASpecialPurposeAddress_IsRefused_AndNothingIsDialled(string name)
    {
        var url = $"http://{name}:{_server.Port}/v1/x";
        var reply = await fixture.Probe.SendAsync(fixture.Probe.Grant($"GET http://{name}:{_server.Port}/"), "GET", url);

        Assert.Equal(HttpProbe.Returned(1), reply.Message);
        Assert.Contains($"http:{url}", reply.Denied);
        Assert.Equal("", _server.Received);

        // A rule naming the IP itself is how an operator reaches such an address on purpose.
        var direct = await fixture.Probe.SendAsync(fixture.Probe.Grant($"GET http://127.0.0.1:{_server.Port}/"), "GET", $"http://127.0.0.1:{_server.Port}/v1/x");
        Assert.True(direct.IsOk, direct.ToString());
        Assert.Equal(["GET /v1/x HTTP/1.1"], _server.RequestLines);
    }
}
