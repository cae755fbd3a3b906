using System.CommandLine;
using Mesh.Cli.Contexts;
using Mesh.Cli.Output;
using Mesh.Contracts.Wire;

namespace Mesh.Cli.Commands;

/// <summary>
/// <c>mesh context add|select|ls|show|rm</c>: named defaults for <c>--nats</c>, <c>--key</c> and
/// <c>--inbox-prefix</c>, one of them selected, kept mode 0600 under the user's config directory.
/// </summary>
public static class ContextCommand
{
    public static Command Build(CliContext context) => new("context", "Save NATS URL, issuer key and inbox prefix under a name, so commands need no flags")
    {
        Add(context), Select(context), List(context), Show(context), Remove(context),
    };

    private static Command Add(CliContext context)
    {
        var name = NameArgument();
        var nats = new Option<string>("--nats") { Description = "NATS server URL", Required = true };
        var key = new Option<string?>("--key") { Description = "Issuer seed file commands sign with" };
        var inbox = new Option<string?>("--inbox-prefix") { Description = "Subject prefix replies arrive under (e.g. _INBOX.alice)" };
        var select = new Option<bool>("--select") { Description = "Select it too (the first context is selected anyway)" };
        var command = new Command("add", "Save a context (replacing one of that name)") { name, nats, key, inbox, select };
        command.SetAction(async result =>
        {
            var store = Store(context);
            var contextName = Name(result, name);
            var url = result.GetValue(nats)!;
            if (NatsUrl.Problem(url) is { } problem)
            {
                throw CliException.Usage($"--nats: {problem}");
            }

            var keyPath = result.GetValue(key) is { } given ? Path.GetFullPath(given) : null;
            if (keyPath is not null && !File.Exists(keyPath))
            {
                throw new CliException("io", $"no seed file '{keyPath}' (make one with 'mesh keys new --out {keyPath}')");
            }

            if (result.GetValue(inbox) is { } prefix && !Contracts.Tokens.Rules.SubjectPattern.IsLiteral(prefix))
            {
                throw CliException.Usage($"--inbox-prefix '{PrintableText.Clean(prefix, 80)}' must be subject tokens without wildcards or spaces, such as _INBOX.alice");
            }

            var file = store.Read();
            var contexts = new SortedDictionary<string, MeshContext>(file.Contexts, StringComparer.Ordinal) { [contextName] = new MeshContext(url, keyPath, result.GetValue(inbox)) };
            var selected = result.GetValue(select) || file.Selected is null ? contextName : file.Selected;
            store.Write(new ContextFile { Selected = selected, Contexts = contexts });
            await context.Error.WriteLineAsync($"mesh: saved context '{contextName}'{(selected == contextName ? " (selected)" : "")} in {store.Path}");
            return 0;
        });
        return command;
    }

    private static Command Select(CliContext context)
    {
        var name = NameArgument();
        var command = new Command("select", "Make a saved context the one commands use") { name };
        command.SetAction(async result =>
        {
            var store = Store(context);
            var file = store.Read();
            var contextName = Existing(file, Name(result, name));
            store.Write(file with { Selected = contextName });
            await context.Error.WriteLineAsync($"mesh: selected context '{contextName}'");
            return 0;
        });
        return command;
    }

    private static Command List(CliContext context)
    {
        var output = new OutputOption();
        var command = new Command("ls", "List saved contexts; * marks the selected one");
        output.AddTo(command);
        command.SetAction(async result =>
        {
            var file = Store(context).Read();
            var rows = file.Contexts.Select(c => new ContextRow(c.Key, c.Key == file.Selected, NatsUrl.Redact(c.Value.Nats), c.Value.Key, c.Value.InboxPrefix)).ToList();
            await output.WriteAsync(result, context.Out, rows, ["", "NAME", "NATS", "KEY", "INBOX PREFIX"],
                r => [r.Selected ? "*" : "", r.Name, r.Nats, r.Key ?? "-", r.InboxPrefix ?? "-"]);
            return 0;
        });
        return command;
    }

    private static Command Show(CliContext context)
    {
        var name = new Argument<string?>("NAME") { Description = "Context name (default: the selected one)", Arity = ArgumentArity.ZeroOrOne };
        var output = new OutputOption();
        var command = new Command("show", "Show a context, and what commands use now (flags aside)") { name };
        output.AddTo(command);
        command.SetAction(async result =>
        {
            var file = Store(context).Read();
            var contextName = result.GetValue(name) is { } n ? Existing(file, n)
                : file.Selected ?? throw new CliException("context.none", "no context is selected (save one with 'mesh context add NAME --nats URL')");
            var saved = file.Contexts[contextName];
            var row = new ContextRow(contextName, contextName == file.Selected, NatsUrl.Redact(saved.Nats), saved.Key, saved.InboxPrefix);
            await output.WriteRecordAsync(result, context.Out, row,
            [
                ("name", contextName + (row.Selected ? " (selected)" : "")),
                ("nats", row.Nats),
                ("key", row.Key ?? "-"),
                ("inbox prefix", row.InboxPrefix ?? "-"),
            ]);
            return 0;
        });
        return command;
    }

    private static Command Remove(CliContext context)
    {
        var name = NameArgument();
        var command = new Command("rm", "Forget a saved context (its key file stays)") { name };
        command.SetAction(async result =>
        {
            var store = Store(context);
            var file = store.Read();
            var contextName = Existing(file, Name(result, name));
            var contexts = new SortedDictionary<string, MeshContext>(file.Contexts, StringComparer.Ordinal);
            contexts.Remove(contextName);
            store.Write(new ContextFile { Selected = file.Selected == contextName ? null : file.Selected, Contexts = contexts });
            await context.Error.WriteLineAsync($"mesh: removed context '{contextName}'");
            return 0;
        });
        return command;
    }

    private sealed record ContextRow(string Name, bool Selected, string Nats, string? Key, string? InboxPrefix);

    private static Argument<string> NameArgument() => new("NAME") { Description = "Context name: letters, digits, '-' and '_'" };

    private static ContextStore Store(CliContext context) => ContextStore.ForUser(context.Variables)
        ?? throw new CliException("io", "no config directory to keep contexts in (set HOME or XDG_CONFIG_HOME)");

    private static string Name(ParseResult result, Argument<string> argument)
    {
        var name = result.GetValue(argument)!;
        return name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? name
            : throw CliException.Usage($"'{PrintableText.Clean(name, 80)}' is not a context name: use 1-64 letters, digits, '-' or '_'");
    }

    private static string Existing(ContextFile file, string name) => file.Contexts.ContainsKey(name)
        ? name
        : throw new CliException("context.not_found", $"no context '{PrintableText.Clean(name, 80)}' (saved: {(file.Contexts.Count == 0 ? "none" : string.Join(", ", file.Contexts.Keys))})");
}
