namespace Mesh.Dashboard.Activity;

/// <summary>
/// One refusal as it happened: a capability the token did not grant (<see cref="Capability"/> and
/// what was asked, from an outcome's <c>denied</c>), or a token refused outright (its code, such as
/// <c>token.expired</c>, as the capability). Never the token itself: only its id.
/// </summary>
public sealed record RefusalEvent(DateTimeOffset Time, string Function, string Capability, string Target, string? TokenId, string? Node);
