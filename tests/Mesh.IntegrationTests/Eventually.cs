using System.Diagnostics;

namespace Mesh.IntegrationTests;

/// <summary>
/// The one way tests wait: for a condition, polled, up to a limit, then failing with what was
/// awaited. Never a fixed sleep that is either too short on a busy machine or wasted on an idle one.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(20);

    public static Task HoldsAsync(Func<bool> condition, string what, TimeSpan? limit = null) =>
        HoldsAsync(() => Task.FromResult(condition()), what, limit);

    public static async Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan? limit = null)
    {
        var waited = Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(10);
        while (!await condition())
        {
            Assert.True(waited.Elapsed < (limit ?? DefaultLimit), $"never happened within {(limit ?? DefaultLimit).TotalSeconds:0.#} s: {what}");
            await Task.Delay(pause);
            pause = TimeSpan.FromMilliseconds(Math.Min(200, pause.TotalMilliseconds * 2));
        }
    }
}
