using System.Collections.Generic;

namespace Conserv;

// Work the loop does for sockets between callbacks, rather than inside them: one gathered write per socket a
// callback wrote to, output-empty events deferred past a handler, and frames buffered while their socket could
// not take them. Each list is drained once per turn, before the loop polls again.
public sealed partial class EventLoop
{
    private readonly List<TcpSocket> _outputEmptyPending = new();
    private readonly List<TcpSocket> _flushPending = new();
    private readonly List<TcpSocket> _framesPending = new();

    /// <summary>Asks the loop to flush <paramref name="socket"/> after the running callback (written to from outside its own handlers).</summary>
    internal void EnlistFlush(TcpSocket socket) => _flushPending.Add(socket);

    // Replies written while the loop works through one batch of epoll events go out together after the batch, as
    // Redis writes its replies before it sleeps: the peers' processes are woken once per batch rather than once per
    // reply (each wake-up of a sleeping peer costs the sender an inter-processor interrupt on a VM), and a peer with
    // many connections gets its replies in one batch of its own. Still one gathered write per socket, and still
    // before the loop polls again, runs timers or posted work.
    private readonly List<TcpSocket> _flushAfterBatch = new();
    private bool _dispatchingBatch;

    /// <summary>True while the loop delivers one batch of epoll events: a socket's own handlers' writes may wait for its end.</summary>
    internal bool DefersFlushes => _dispatchingBatch;

    /// <summary>Asks the loop to flush <paramref name="socket"/> when the current batch of events has been delivered.</summary>
    internal void FlushAfterBatch(TcpSocket socket) => _flushAfterBatch.Add(socket);

    /// <summary>After a batch of events: one gathered write per socket whose handlers wrote during it, then what follows from it.</summary>
    private void FlushBatchWrites()
    {
        // A flush may finish a close whose handler writes elsewhere: index-based so the list may grow meanwhile.
        for (int i = 0; i < _flushAfterBatch.Count; i++)
        {
            _flushAfterBatch[i].FinishHandlers();
        }

        _flushAfterBatch.Clear();
        if (_flushPending.Count > 0)
        {
            FlushPendingWrites();
        }
    }

    /// <summary>After each callback: one gathered write per socket it wrote to.</summary>
    private void FlushPendingWrites()
    {
        // A flush may finish a close whose handler writes elsewhere: index-based so the list may grow meanwhile.
        for (int i = 0; i < _flushPending.Count; i++)
        {
            _flushPending[i].FlushIfRequested();
        }

        _flushPending.Clear();
    }

    /// <summary>Asks the loop to raise output-empty for <paramref name="socket"/> once no handler of it is running.</summary>
    internal void EnlistOutputEmpty(TcpSocket socket) => _outputEmptyPending.Add(socket);

    private void FlushOutputEmpty()
    {
        // Only the sockets enlisted before this pass. Handlers may write again and enlist sockets, among them their
        // own once it used up its rounds (a producer writing its next piece from output-empty to a peer that takes it
        // all at once): those wait for the next turn, after the loop has polled its other sockets, or one stream
        // would hold the loop for as long as it has pieces to write.
        int count = _outputEmptyPending.Count;
        for (int i = 0; i < count; i++)
        {
            _outputEmptyPending[i].RaiseOutputEmptyIfDue();
        }

        _outputEmptyPending.RemoveRange(0, count);
    }

    /// <summary>
    /// Asks the loop to deliver <paramref name="socket"/>'s buffered frames: it could not take them (paused, an async
    /// handler, output above its high water mark) and now can, but no read will come to bring them.
    /// </summary>
    internal void EnlistFrames(TcpSocket socket) => _framesPending.Add(socket);

    private void DeliverPendingFrames()
    {
        // Only the sockets enlisted before this pass: a handler that pauses and resumes again waits for the next turn.
        int count = _framesPending.Count;
        for (int i = 0; i < count; i++)
        {
            _framesPending[i].DeliverBufferedFrames();
        }

        _framesPending.RemoveRange(0, count);
        if (_flushPending.Count > 0)
        {
            FlushPendingWrites();
        }
    }
}
