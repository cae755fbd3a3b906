using System.Threading.Channels;

namespace Mesh.Cli.Local;

/// <summary>
/// Watches an application's directory for edits to its sources, for <c>mesh up --watch</c>. What
/// builds write (<c>build/</c>, <c>node_modules/</c>, <c>.wasm</c> files) and editors' scratch
/// files are not sources, so a rebuild does not set off another. A burst of events (a save that
/// writes several files) is one change: it is reported once nothing changed for a moment.
/// </summary>
public sealed class SourceWatcher : IDisposable
{
    private static readonly string[] NotSources = ["build", "node_modules", ".git", ".mesh", "obj", "bin"];
    private readonly FileSystemWatcher _watcher;
    private readonly Channel<string> _changes = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TimeSpan _quiet;

    public SourceWatcher(string directory, TimeSpan quiet)
    {
        _quiet = quiet;
        _watcher = new FileSystemWatcher(directory)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        _watcher.Changed += (_, e) => Seen(e.FullPath);
        _watcher.Created += (_, e) => Seen(e.FullPath);
        _watcher.Deleted += (_, e) => Seen(e.FullPath);
        _watcher.Renamed += (_, e) => Seen(e.FullPath);
        _watcher.EnableRaisingEvents = true;
    }

    /// <summary>Whether a path is a source: not under a build or dependency directory, not a build output or scratch file.</summary>
    public static bool IsSource(string path)
    {
        var parts = path.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var name = parts.Length == 0 ? "" : parts[^1];
        return !parts.Any(p => NotSources.Contains(p, StringComparer.Ordinal))
            && !name.EndsWith(".wasm", StringComparison.Ordinal)
            && !name.EndsWith('~') && !name.EndsWith(".swp", StringComparison.Ordinal) && !name.StartsWith(".#", StringComparison.Ordinal);
    }

    /// <summary>Waits for the next change and returns the sources it touched.</summary>
    public async Task<IReadOnlyList<string>> NextAsync(CancellationToken cancellationToken)
    {
        var touched = new SortedSet<string>(StringComparer.Ordinal) { await _changes.Reader.ReadAsync(cancellationToken) };
        do
        {
            await Task.Delay(_quiet, cancellationToken);
        }
        while (Drain(touched) > 0);

        return [.. touched];
    }

    private int Drain(SortedSet<string> into)
    {
        var count = 0;
        while (_changes.Reader.TryRead(out var path))
        {
            into.Add(path);
            count++;
        }

        return count;
    }

    private void Seen(string path)
    {
        if (IsSource(path))
        {
            _changes.Writer.TryWrite(path);
        }
    }

    public void Dispose() => _watcher.Dispose();
}
