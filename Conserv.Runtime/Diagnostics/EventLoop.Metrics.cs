using System.Threading;

namespace Conserv;

// Per-loop totals behind the observable metrics (ConservMetrics): written only on the loop thread, read by a
// metrics collector on any thread. Kept whether or not anyone listens: one add per change.
public sealed partial class EventLoop
{
    private long _activeConnections;
    private long _pausedSockets;
    private long _queuedOutput;

    /// <summary>Open sockets of this loop (accepted and connected).</summary>
    internal long ActiveConnections => Volatile.Read(ref _activeConnections);

    /// <summary>Sockets of this loop that do not read (paused, or above their high water mark).</summary>
    internal long PausedSockets => Volatile.Read(ref _pausedSockets);

    /// <summary>Output queued on this loop's sockets.</summary>
    internal long QueuedOutput => Volatile.Read(ref _queuedOutput);

    internal void CountConnection(long delta) => Volatile.Write(ref _activeConnections, _activeConnections + delta);

    internal void CountPaused(long delta) => Volatile.Write(ref _pausedSockets, _pausedSockets + delta);

    internal void CountQueued(long delta) => Volatile.Write(ref _queuedOutput, _queuedOutput + delta);
}
