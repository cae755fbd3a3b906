using System.Collections.Frozen;

namespace Mesh.Contracts.Wire;

/// <summary>The stable wire names of <see cref="ErrorCode"/>, as they appear in <c>Mesh-Status</c>.</summary>
public static class ErrorCodes
{
    public static string ToWire(this ErrorCode code) => code switch
    {
        ErrorCode.None => "ok",
        ErrorCode.TokenMissing => "token.missing",
        ErrorCode.TokenMalformed => "token.malformed",
        ErrorCode.TokenTooLarge => "token.too_large",
        ErrorCode.TokenVersion => "token.version",
        ErrorCode.TokenSignature => "token.signature",
        ErrorCode.TokenUntrustedIssuer => "token.untrusted_issuer",
        ErrorCode.TokenExpired => "token.expired",
        ErrorCode.TokenNotYetValid => "token.not_yet_valid",
        ErrorCode.TokenWrongSubject => "token.wrong_subject",
        ErrorCode.TokenWrongModule => "token.wrong_module",
        ErrorCode.TokenDepth => "token.depth",
        ErrorCode.TokenWidened => "token.widened",
        ErrorCode.TokenSealed => "token.sealed",
        ErrorCode.TokenRevoked => "token.revoked",
        ErrorCode.TokenWrongReply => "token.wrong_reply",
        ErrorCode.RequestTooLarge => "request.too_large",
        ErrorCode.RequestMalformed => "request.malformed",
        ErrorCode.RequestTimeout => "request.timeout",
        ErrorCode.ModuleNotFound => "module.not_found",
        ErrorCode.ModuleDigestMismatch => "module.digest_mismatch",
        ErrorCode.ModuleInvalid => "module.invalid",
        ErrorCode.CapabilityDenied => "capability.denied",
        ErrorCode.SecretUnavailable => "secret.unavailable",
        ErrorCode.FunctionTrap => "function.trap",
        ErrorCode.FunctionFuelExhausted => "function.fuel_exhausted",
        ErrorCode.FunctionTimeout => "function.timeout",
        ErrorCode.FunctionMemoryLimit => "function.memory_limit",
        ErrorCode.FunctionStackOverflow => "function.stack_overflow",
        ErrorCode.FunctionOutputTooLarge => "function.output_too_large",
        ErrorCode.FunctionError => "function.error",
        ErrorCode.FunctionHostCallLimit => "function.host_call_limit",
        ErrorCode.FunctionNotFound => "function.not_found",
        ErrorCode.NodeOverloaded => "node.overloaded",
        ErrorCode.NodeDraining => "node.draining",
        ErrorCode.NodeUnavailable => "node.unavailable",
        ErrorCode.NodeInternal => "node.internal",
        ErrorCode.NodeRevocationUnknown => "node.revocation_unknown",
        ErrorCode.NodeStopped => "node.stopped",
        ErrorCode.ChainLoop => "chain.loop",
        ErrorCode.ChainDeadline => "chain.deadline",
        ErrorCode.ChainUndelivered => "chain.undelivered",
        ErrorCode.ChainInvocationLimit => "chain.invocation_limit",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "no wire name"),
    };

    // Parsing runs on every reply a client reads: one table, made once from the names above.
    private static readonly FrozenDictionary<string, ErrorCode> ByWire =
        Enum.GetValues<ErrorCode>().ToFrozenDictionary(c => c.ToWire(), StringComparer.Ordinal);

    public static bool TryParse(string wire, out ErrorCode code) => ByWire.TryGetValue(wire, out code);
}
