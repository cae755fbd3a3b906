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
    TokenRevoked = 113,

    /// <summary>
    /// The token binds replies to a prefix the call's reply subject is not under. Such a call is
    /// neither run nor answered (an answer would land where the token forbids); the code shows in
    /// the node's log, its stats and a client that checks before sending.
    /// </summary>
    TokenWrongReply = 114,

    RequestTooLarge = 200,
    RequestMalformed = 201,
    RequestTimeout = 202,

    ModuleNotFound = 300,
    ModuleDigestMismatch = 301,
    ModuleInvalid = 302,

    CapabilityDenied = 400,

    /// <summary>A secret the grant binds could not be had (the secrets service refused, or did not answer in time).</summary>
    SecretUnavailable = 401,

    FunctionTrap = 500,
    FunctionFuelExhausted = 501,
    FunctionTimeout = 502,
    FunctionMemoryLimit = 503,
    FunctionStackOverflow = 504,
    FunctionOutputTooLarge = 505,
    FunctionError = 506,
    FunctionHostCallLimit = 507,

    /// <summary>No function answers to that name or route (the HTTP gateway's 404).</summary>
    FunctionNotFound = 508,

    NodeOverloaded = 600,
    NodeDraining = 601,
    NodeUnavailable = 602,
    NodeInternal = 603,
    NodeRevocationUnknown = 604,
    NodeStopped = 605,

    ChainLoop = 700,
    ChainDeadline = 701,
    ChainUndelivered = 702,
    ChainInvocationLimit = 703,
}
