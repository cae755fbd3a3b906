namespace Mesh.Cli.Contexts;

/// <summary>
/// A named set of defaults for commands (like <c>nats context</c>): which NATS to reach, the
/// issuer seed to sign with, and the inbox prefix replies arrive under. Flags still win.
/// </summary>
public sealed record MeshContext(string Nats, string? Key = null, string? InboxPrefix = null);
