using System.Collections.Concurrent;

namespace Mesh.Node.FunctionLogs;

/// <summary>
/// How many entries each function may publish per second, decided where the entry is made: over
/// the rate, the invocation only counts it (no allocation, no queueing), so a function called
/// 50,000 times a second costs its 200 entries and a counter. What each second left out is taken
/// once the second is over, to be published as one <c>dropped</c> entry. Thread-safe.
/// </summary>
public sealed class FunctionLogRate(int entriesPerSecond)
{
    private readonly ConcurrentDictionary<string, Window> _functions = new(StringComparer.Ordinal);

    /// <summary>Whether an entry of <paramref name="function"/> made in <paramref name="second"/> (Unix seconds) may be published.</summary>
    public bool TryAdmit(string function, long second)
    {
        var window = _functions.GetOrAdd(function, static (_, s) => new Window(s), second);

        // The common case under load, without a lock: this second's allowance is spent.
        if (Volatile.Read(ref window.Second) == second && Volatile.Read(ref window.Count) >= entriesPerSecond)
        {
            Interlocked.Increment(ref window.Dropped);
            return false;
        }

        lock (window)
        {
            if (second > window.Second)
            {
                window.PendingDropped += Interlocked.Exchange(ref window.Dropped, 0);
                window.PendingSecond = window.Second;
                Volatile.Write(ref window.Count, 0);
                Volatile.Write(ref window.Second, second);
            }

            if (window.Count >= entriesPerSecond)
            {
                Interlocked.Increment(ref window.Dropped);
                return false;
            }

            Volatile.Write(ref window.Count, window.Count + 1);
            window.LastActive = second;
            return true;
        }
    }

    /// <summary>
    /// What each function left out in seconds that are over (as of <paramref name="now"/>), and
    /// forgets functions that made no entry for a minute.
    /// </summary>
    public List<(string Function, long Second, long Dropped)> TakeDropped(long now)
    {
        var taken = new List<(string, long, long)>();
        foreach (var (function, window) in _functions)
        {
            lock (window)
            {
                if (now > window.Second && Volatile.Read(ref window.Dropped) > 0)
                {
                    window.PendingDropped += Interlocked.Exchange(ref window.Dropped, 0);
                    window.PendingSecond = window.Second;
                }

                if (window.PendingDropped > 0)
                {
                    taken.Add((function, window.PendingSecond, window.PendingDropped));
                    window.PendingDropped = 0;
                }
                else if (now - window.LastActive > 60 && Volatile.Read(ref window.Dropped) == 0)
                {
                    _functions.TryRemove(function, out _);
                }
            }
        }

        return taken;
    }

    private sealed class Window(long second)
    {
        public long Second = second;
        public int Count;
        public long Dropped;
        public long PendingDropped;
        public long PendingSecond;
        public long LastActive = second;
    }
}
