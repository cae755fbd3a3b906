using Mesh.Contracts.Wire;

namespace Mesh.Gateway;

/// <summary>
/// Which HTTP status each Mesh code answers with. Every code has one (a test holds it to the
/// enum): a token that does not prove anything is 401, one that proves the wrong thing 403; what the
/// caller sent wrong is 4xx; what the function or the mesh did is 5xx, with 503 for what is worth
/// retrying later and 504 for what ran out of time.
/// </summary>
public static class HttpStatusMap
{
    public static int For(ErrorCode code) => code switch
    {
        ErrorCode.None => 200,
        ErrorCode.TokenMissing or ErrorCode.TokenMalformed or ErrorCode.TokenTooLarge or ErrorCode.TokenVersion
            or ErrorCode.TokenSignature or ErrorCode.TokenUntrustedIssuer or ErrorCode.TokenExpired
            or ErrorCode.TokenNotYetValid or ErrorCode.TokenRevoked => 401,
        ErrorCode.TokenWrongSubject or ErrorCode.TokenWrongModule or ErrorCode.TokenDepth or ErrorCode.TokenWidened
            or ErrorCode.TokenSealed or ErrorCode.TokenWrongReply or ErrorCode.CapabilityDenied => 403,
        ErrorCode.FunctionNotFound => 404,
        ErrorCode.RequestMalformed => 400,
        ErrorCode.RequestTooLarge => 413,
        ErrorCode.RequestTimeout or ErrorCode.FunctionTimeout or ErrorCode.ChainDeadline => 504,
        ErrorCode.ModuleNotFound or ErrorCode.ModuleDigestMismatch or ErrorCode.ModuleInvalid => 502,
        ErrorCode.FunctionTrap or ErrorCode.FunctionFuelExhausted or ErrorCode.FunctionMemoryLimit
            or ErrorCode.FunctionStackOverflow or ErrorCode.FunctionOutputTooLarge or ErrorCode.FunctionHostCallLimit => 502,
        ErrorCode.FunctionError or ErrorCode.NodeInternal => 500,
        ErrorCode.SecretUnavailable => 503,
        ErrorCode.NodeOverloaded or ErrorCode.NodeDraining or ErrorCode.NodeUnavailable
            or ErrorCode.NodeRevocationUnknown or ErrorCode.NodeStopped => 503,
        ErrorCode.ChainLoop => 508,
        ErrorCode.ChainUndelivered or ErrorCode.ChainInvocationLimit => 502,
        _ => 502,
    };

    /// <summary>Whether the answer tells the client to come back (<c>Retry-After</c>).</summary>
    public static bool IsRetryable(ErrorCode code) => For(code) == 503;
}
