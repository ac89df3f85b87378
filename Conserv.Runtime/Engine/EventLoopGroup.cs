using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv;

/// <summary>
/// Several <see cref="EventLoop"/>s on background threads, one per core by default. Give
/// <see cref="TcpServer.Listen(Func{IEventDriver}, string, int, ExternalFormat, ExternalFormat, EventLoopGroup?, TcpServerOptions?)"/>
/// a driver factory and a group to use every core: one listener and one driver instance per loop.
/// </summary>
public sealed class EventLoopGroup : IDisposable
{
    private static readonly Lazy<EventLoopGroup> s_default = new(() => new EventLoopGroup(0, new EventLoopOptions { ThreadName = "Conserv default loop" }));
    private readonly EventLoop[] _loops;
    private int _next = -1;

    /// <summary>Starts <paramref name="loopCount"/> loops (0: one per processor).</summary>
    /// <param name="loopCount">How many loops; 0 means <see cref="Environment.ProcessorCount"/>.</param>
    /// <param name="options">Settings for every loop, or null for the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="loopCount"/> is negative.</exception>
    public EventLoopGroup(int loopCount = 0, EventLoopOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(loopCount);
        if (loopCount == 0)
        {
            loopCount = Environment.ProcessorCount;
        }

        _loops = new EventLoop[loopCount];
        for (int i = 0; i < loopCount; i++)
        {
            _loops[i] = EventLoop.Start(options);
        }
    }

    /// <summary>
    /// The group used by calls made off any loop (a plain <c>Main</c>, a test, an ASP.NET app): started on
    /// first use, one loop per processor, background threads.
    /// </summary>
    public static EventLoopGroup Default => s_default.Value;

    /// <summary>The loops of the group.</summary>
    public IReadOnlyList<EventLoop> Loops => _loops;

    /// <summary>Completes when every loop has stopped.</summary>
    public Task Completion => Task.WhenAll(_loops.Select(l => l.Completion));

    /// <summary>The next loop, round-robin: where a new client socket or single server goes.</summary>
    /// <returns>A loop of the group.</returns>
    public EventLoop Next() => _loops[(int)((uint)Interlocked.Increment(ref _next) % (uint)_loops.Length)];

    /// <summary>Stops every loop (see <see cref="EventLoop.Stop()"/>).</summary>
    public void Stop()
    {
        foreach (var loop in _loops)
        {
            loop.Stop();
        }
    }

    /// <summary>Stops every loop gracefully, with a drain period (see <see cref="EventLoop.Stop(TimeSpan)"/>).</summary>
    /// <param name="drainTimeout">How long connections may take to finish before they are aborted.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="drainTimeout"/> is negative.</exception>
    public void Stop(TimeSpan drainTimeout)
    {
        foreach (var loop in _loops)
        {
            loop.Stop(drainTimeout);
        }
    }

    /// <summary>Stops every loop.</summary>
    public void Dispose() => Stop();
}
