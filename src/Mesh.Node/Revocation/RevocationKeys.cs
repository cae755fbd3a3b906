namespace Mesh.Node.Revocation;

/// <summary>
/// Keys of the revocation bucket: <c>token.&lt;token id hex&gt;</c> revokes one token (every block
/// and hop of it), <c>issuer.&lt;public key&gt;</c> everything an issuer signed. The value is a
/// note for people (who, why); deleting the key lifts the revocation.
/// <c>secret.&lt;name&gt;</c> revokes the copies of a secret nodes keep: <c>mesh secret put</c> and
/// <c>rm</c> write it after changing the secret, so every node drops what it released before, with
/// the same freshness promise a token's revocation has.
/// </summary>
public static class RevocationKeys
{
    public const string DefaultBucket = "mesh-revocations";
    public const string TokenPrefix = "token.";
    public const string IssuerPrefix = "issuer.";
    public const string SecretPrefix = "secret.";

    public static string Token(string tokenIdHex) => TokenPrefix + tokenIdHex;

    public static string Issuer(string publicKeyText) => IssuerPrefix + publicKeyText;

    public static string Secret(string name) => SecretPrefix + name;
}
