namespace Mesh.Contracts.Wire;

/// <summary>
/// Every error that crosses the wire. Numbers and wire names (see <see cref="ErrorCodes"/>) are a
/// contract with callers in any language: never renumber or rename, only append.
/// </summary>
public enum ErrorCode
{
    None = 0,

    TokenMissing = 100,
    TokenMalformed = 101,
    TokenTooLarge = 102,
    TokenVersion = 103,
    TokenSignature = 104,
    TokenUntrustedIssuer = 105,
    TokenExpired = 106,
    TokenNotYetValid = 107,
    TokenWrongSubject = 108,
    TokenWrongModule = 109,
    TokenDepth = 110,
    TokenWidened = 111,
    TokenSealed = 112,
}
