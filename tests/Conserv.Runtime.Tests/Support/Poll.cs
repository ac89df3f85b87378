using System;
using System.Diagnostics;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>Waits for a state that no event announces (a queue length, a counter), polling with a bound.</summary>
public static class Poll
{
    /// <summary>Polls <paramref name="condition"/> every few milliseconds until it holds; fails after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? EventLog.DefaultTimeout;
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit} waiting for {what}.");
            }

            await Task.Delay(5);
        }
    }

    /// <summary>Polls a condition evaluated on <paramref name="loop"/>'s thread.</summary>
    public static Task UntilAsync(EventLoop loop, Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => loop.OnLoopAsync(condition), what, timeout);
}
