namespace Mesh.Cli.Contexts;

/// <summary>
/// Where a command's <c>--nats</c>, <c>--key</c> and <c>--inbox-prefix</c> come from when the
/// flag is not given: the environment (<c>MESH_NATS_URL</c>, <c>MESH_KEY</c>,
/// <c>MESH_INBOX_PREFIX</c>), then the selected context, then the built-in default.
/// </summary>
public sealed class CommandDefaults(CliContext context)
{
    public const string NatsVariable = "MESH_NATS_URL";
    public const string KeyVariable = "MESH_KEY";
    public const string InboxPrefixVariable = "MESH_INBOX_PREFIX";

    private MeshContext? Selected => ContextStore.ForUser(context.Variables)?.Selected();

    public string? Nats => context.Variables(NatsVariable) is { Length: > 0 } url ? url : Selected?.Nats;

    public string? Key => context.Variables(KeyVariable) is { Length: > 0 } key ? key : Selected?.Key;

    public string? InboxPrefix => context.Variables(InboxPrefixVariable) is { Length: > 0 } prefix ? prefix : Selected?.InboxPrefix;
}
