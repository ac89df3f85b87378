using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Interop;

namespace Conserv;

/// <summary>
/// One thread that runs every event of the sockets and servers it owns, in order, so driver code
/// needs no locks. It polls readiness with epoll, reads into a pooled buffer and writes directly.
/// </summary>
/// <remarks>
/// <para><see cref="Run(Action, EventLoopOptions?)"/> runs a loop on the calling thread until nothing is
/// left to do (no socket, server, timer or queued work) or <see cref="Stop()"/> is called.
/// <see cref="Start(EventLoopOptions?)"/> runs one on a background thread until <see cref="Stop()"/>.</para>
/// <para>Public members of the runtime are safe from any thread: off the loop thread they are queued to
/// the loop, which is woken.</para>
/// </remarks>
public sealed unsafe partial class EventLoop
{
    private const int MaxEventsPerPoll = 256;

    [ThreadStatic]
    private static EventLoop? t_current;

    private readonly int _epoll;
    private readonly WakeUp _wakeUp;
    private readonly ConcurrentQueue<(Action<object?> Action, object? State)> _posted = new();
    private readonly HashSet<IPollTarget> _open = new(ReferenceEqualityComparer.Instance);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly LoopSynchronizationContext _synchronizationContext;
    private readonly byte* _events;
    private Thread? _thread;
    private volatile bool _stopRequested;
    private bool _runUntilIdle;
    private int _pendingWork;
    private readonly long _spinTicks;

    private EventLoop(EventLoopOptions? options)
    {
        Options = options ?? new EventLoopOptions();
        _epoll = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        if (_epoll < 0)
        {
            throw Errno.Exception(Libc.Errno, "epoll_create1");
        }

        _events = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)(MaxEventsPerPoll * Libc.EpollEventSize));
        _spinTicks = (long)(Options.SpinBeforeWait.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        _clock = Options.TimeProvider == TimeProvider.System ? null : Options.TimeProvider;
        _now = ReadClock();
        _synchronizationContext = new LoopSynchronizationContext(this);
        try
        {
            _wakeUp = new WakeUp(this);
        }
        catch
        {
            // Out of descriptors, say: the loop never runs, so nothing else would give back what it already holds.
            Libc.close(_epoll);
            System.Runtime.InteropServices.NativeMemory.Free(_events);
            throw;
        }
    }

    /// <summary>The loop whose thread is calling, or null off any loop.</summary>
    public static EventLoop? Current => t_current;

    /// <summary>The loop's settings.</summary>
    public EventLoopOptions Options { get; }

    /// <summary>True when called on this loop's thread.</summary>
    public bool IsLoopThread => t_current == this;

    /// <summary>Completes when the loop has stopped and closed everything it owned.</summary>
    public Task Completion => _completion.Task;

    /// <summary>
    /// Raised on the loop thread for an exception that no handler could take, such as one thrown by an
    /// error handler itself (the connection is dropped; the loop and other connections go on).
    /// Without a subscriber, such exceptions are written to standard error.
    /// </summary>
    public event EventHandler<LoopExceptionEventArgs>? UnhandledException;

    internal LoopSynchronizationContext SynchronizationContext => _synchronizationContext;

    /// <summary>The socket whose event is running, for <see cref="TcpSocket.Current"/>.</summary>
    internal TcpSocket? CurrentSocket;

    /// <summary>The server whose event is running, for <see cref="TcpServer.Current"/>.</summary>
    internal TcpServer? CurrentServer;

    /// <summary>The socket whose error handler is running, for <see cref="SocketEvents.DropConnection"/>.</summary>
    internal TcpSocket? ErrorScope;

    /// <summary>
    /// Runs an event loop on the calling thread: <paramref name="setup"/> first (on the loop, so sockets and
    /// servers it opens join it), then every event until nothing is left to do or <see cref="Stop()"/> is called.
    /// </summary>
    /// <param name="setup">Opens the first sockets and servers.</param>
    /// <param name="options">Loop settings, or null for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="setup"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The calling thread already runs a loop.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The process has no descriptor left for the loop's epoll or eventfd (the message names which).</exception>
    public static void Run(Action setup, EventLoopOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(setup);
        if (t_current is not null)
        {
            throw new InvalidOperationException("This thread already runs an event loop.");
        }

        var loop = new EventLoop(options) { _runUntilIdle = true, _thread = Thread.CurrentThread };
        loop.Post(static s => ((Action)s!)(), setup);
        using var signals = loop.Options.StopOnSignals ? new StopSignals(loop) : null;
        loop.RunOnThisThread();
    }

    /// <summary>Starts an event loop on a new background thread; it runs until <see cref="Stop()"/>.</summary>
    /// <param name="options">Loop settings, or null for the defaults.</param>
    /// <returns>The running loop.</returns>
    /// <exception cref="System.Net.Sockets.SocketException">The process has no descriptor left for the loop's epoll or eventfd (the message names which).</exception>
    public static EventLoop Start(EventLoopOptions? options = null)
    {
        var loop = new EventLoop(options);
        var started = new ManualResetEventSlim();
        loop._thread = new Thread(() =>
        {
            started.Set();
            loop.RunOnThisThread();
        })
        {
            IsBackground = true,
            Name = loop.Options.ThreadName,
        };
        loop._thread.Start();
        started.Wait();
        started.Dispose();
        return loop;
    }

    /// <summary>Runs <paramref name="action"/> on the loop thread, after what is already queued. Safe from any thread.</summary>
    /// <param name="action">The work to run.</param>
    public void Post(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        Post(static a => ((Action)a!)(), action);
    }

    /// <summary>Runs <paramref name="action"/> with <paramref name="state"/> on the loop thread. Safe from any thread.</summary>
    /// <param name="action">The work to run.</param>
    /// <param name="state">Passed to <paramref name="action"/>.</param>
    public void Post(Action<object?> action, object? state)
    {
        ArgumentNullException.ThrowIfNull(action);
        Interlocked.Increment(ref _pendingWork);
        _posted.Enqueue((action, state));
        if (!IsLoopThread)
        {
            _wakeUp.Signal();
        }
    }

    /// <summary>Runs <paramref name="action"/> now on the loop thread, or queues it there from another thread.</summary>
    internal void RunOrPost<T>(T target, Action<T, object?> action, object? argument)
        where T : class
    {
        if (IsLoopThread)
        {
            action(target, argument);
            return;
        }

        Post(static s =>
        {
            var (target, action, argument) = ((T, Action<T, object?>, object?))s!;
            action(target, argument);
        }, (target, action, argument));
    }

    /// <summary>
    /// Gives a transport that is not the kernel's (in memory, or a TLS layer holding decrypted bytes) the same
    /// delivery as an epoll event: the target's fault closes that target only, and what its handlers wrote to other
    /// sockets is flushed right after. Loop thread only.
    /// </summary>
    internal void DispatchReadiness(IPollTarget target, uint events)
    {
        try
        {
            target.OnPoll(events);
        }
        catch (Exception e)
        {
            // A fault the target did not turn into its own events (say epoll_ctl failing for want of
            // memory) closes that target only: the loop and every other connection go on.
            ReportUnhandled(e, target as TcpSocket, target as TcpServer);
            CloseAfterFault(target);
        }

        if (_flushPending.Count > 0)
        {
            FlushPendingWrites(); // what this event's handlers wrote to other sockets
        }
    }

    /// <summary>
    /// True when nothing is due on the loop now: no posted work besides the caller's and no timer due on its clock.
    /// What a test transport waits for after advancing a fake clock. Loop thread only.
    /// </summary>
    internal bool IsQuiet => Volatile.Read(ref _pendingWork) == 0 && _framesPending.Count == 0 && _flushPending.Count == 0 && _outputEmptyPending.Count == 0
        && !(_timers.TryPeek(out var timer, out long due) && due <= ReadClock() && !timer.Cancelled);

    /// <summary>Throws unless on the loop thread; for internal invariants.</summary>
    internal void AssertLoopThread()
    {
        if (!IsLoopThread)
        {
            throw new InvalidOperationException("This operation must run on the event loop's thread.");
        }
    }

    // ---- errors nobody handled -------------------------------------------------------------------

    internal void ReportUnhandled(Exception exception, TcpSocket? socket, TcpServer? server)
    {
        // A subscriber takes it; else the logger; standard error is only the last resort.
        var handler = UnhandledException;
        if (handler is null && ServerLog is { } log)
        {
            RuntimeLog.HandlerFailed(log, server?.ToString() ?? socket?.ToString() ?? "the event loop", exception);
            return;
        }

        if (handler is null)
        {
            string where = server is not null ? $" ({server})" : socket is not null ? $" ({socket})" : "";
            WriteToStandardError($"Conserv: an exception no handler took{where}: {exception}");
            return;
        }

        try
        {
            handler(this, new LoopExceptionEventArgs(exception, socket, server));
        }
        catch (Exception e)
        {
            WriteToStandardError($"Conserv: UnhandledException subscriber threw: {e}");
        }
    }

    /// <summary>
    /// Last-resort reporting, which must never throw into the loop: opening standard error fails when the
    /// process has run out of file descriptors, which is exactly when servers report faults.
    /// </summary>
    private static void WriteToStandardError(string message)
    {
        try
        {
            Console.Error.WriteLine(message);
        }
        catch (Exception)
        {
            // Nowhere left to report to; the loop and the other connections matter more.
        }
    }

    // ---- the loop ---------------------------------------------------------------------------------

    private void RunOnThisThread()
    {
        var previousContext = System.Threading.SynchronizationContext.Current;
        t_current = this;
        System.Threading.SynchronizationContext.SetSynchronizationContext(_synchronizationContext);
        ConservMetrics.LoopStarted(this);
        try
        {
            Loop();
        }
        finally
        {
            Shutdown();
            ConservMetrics.LoopStopped(this);
            t_current = null;
            System.Threading.SynchronizationContext.SetSynchronizationContext(previousContext);
            _completion.TrySetResult();
        }
    }

    private void Loop()
    {
        while (true)
        {
            RunPosted();
            RunTimers();
            FlushOutputEmpty();
            if (_framesPending.Count > 0)
            {
                DeliverPendingFrames();
            }

            if (_stopRequested || (_draining && _open.Count == 0)
                || (_runUntilIdle && _open.Count == 0 && _activeTimers == 0 && Volatile.Read(ref _pendingWork) == 0))
            {
                return;
            }

            int timeout = Volatile.Read(ref _pendingWork) > 0 || _framesPending.Count > 0 || _outputEmptyPending.Count > 0 ? 0 : NextTimerTimeout();
            int count = timeout != 0 && _spinTicks > 0 ? Spin() : 0;
            if (count == 0)
            {
                count = Libc.epoll_wait(_epoll, _events, MaxEventsPerPoll, timeout);
            }

            _now = ReadClock();
            if (count < 0)
            {
                int errno = Libc.Errno;
                if (errno == Libc.EINTR)
                {
                    continue;
                }

                throw Errno.Exception(errno, "epoll_wait");
            }

            _dispatchingBatch = true;
            for (int i = 0; i < count; i++)
            {
                byte* ev = _events + (i * Libc.EpollEventSize);
                uint bits = *(uint*)ev;
                int slot = (int)*(ulong*)(ev + Libc.EpollDataOffset);
                var target = _targets[slot];
                if (target is null)
                {
                    continue;
                }

                DispatchReadiness(target, bits);
            }

            _dispatchingBatch = false;
            if (_flushAfterBatch.Count > 0)
            {
                FlushBatchWrites();
            }

            foreach (int slot in _slotsFreedThisBatch)
            {
                _freeSlots.Push(slot);
            }

            _slotsFreedThisBatch.Clear();
        }
    }

    private void CloseAfterFault(IPollTarget target)
    {
        try
        {
            target.AbortNow();
        }
        catch (Exception e)
        {
            ReportUnhandled(e, target as TcpSocket, target as TcpServer);
        }
    }

    /// <summary>Polls without blocking for <see cref="EventLoopOptions.SpinBeforeWait"/>; returns the events found (0: none, go to sleep).</summary>
    private int Spin()
    {
        long until = System.Diagnostics.Stopwatch.GetTimestamp() + _spinTicks;
        int count;
        do
        {
            count = Libc.epoll_wait(_epoll, _events, MaxEventsPerPoll, 0);
        }
        while (count == 0 && System.Diagnostics.Stopwatch.GetTimestamp() < until);
        return count;
    }

    private void RunPosted()
    {
        // Only what was queued before this pass: work that posts more work cannot starve I/O.
        int budget = Volatile.Read(ref _pendingWork);
        while (budget-- > 0 && _posted.TryDequeue(out var work))
        {
            Interlocked.Decrement(ref _pendingWork);
            try
            {
                work.Action(work.State);
            }
            catch (Exception e)
            {
                ReportUnhandled(e, null, null);
            }

            if (_flushPending.Count > 0)
            {
                FlushPendingWrites();
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="close"/> on every open server and socket: servers first, so that their clients close as
    /// part of the server's close and OnServerClose comes last. A failure closes nothing else short.
    /// </summary>
    private void CloseEveryOpenTarget(Action<IPollTarget> close)
    {
        var open = new List<IPollTarget>(_open);
        open.Sort(static (a, b) => (b is TcpServer ? 1 : 0) - (a is TcpServer ? 1 : 0));
        foreach (var target in open)
        {
            try
            {
                close(target);
            }
            catch (Exception e)
            {
                ReportUnhandled(e, target as TcpSocket, target as TcpServer);
            }
        }
    }

    private void Shutdown()
    {
        CloseEveryOpenTarget(static t => t.AbortNow());

        // Run what closing queued (close events of async handlers), then release the loop's resources.
        RunPosted();
        _clockTimer?.Dispose();
        _wakeUp.Dispose();
        _spare?.Dispose();
        OutputSegments.Dispose();
        Libc.close(_epoll);
        System.Runtime.InteropServices.NativeMemory.Free(_events);
        if (_readBuffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_readBuffer);
        }
    }

    /// <summary>The eventfd that wakes the loop when work is posted from another thread.</summary>
    private sealed class WakeUp : IPollTarget, IDisposable
    {
        private readonly int _fd;
        private readonly object _closeLock = new();
        private int _signalled;
        private bool _closed;

        public WakeUp(EventLoop loop)
        {
            _fd = Libc.eventfd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
            if (_fd < 0)
            {
                throw Errno.Exception(Libc.Errno, "eventfd");
            }

            loop.Register(this, _fd, Libc.EPOLLIN);
        }

        /// <summary>Makes the eventfd readable, once until the loop consumes it.</summary>
        /// <remarks>
        /// Work can be posted to a loop that has stopped (a write from another thread, a timer of a fake clock): the
        /// descriptor is closed by then and its number may already belong to someone else's connection, which would
        /// get the eventfd's eight bytes. So the write and the close exclude each other, and nothing is written after it.
        /// </remarks>
        public void Signal()
        {
            if (Interlocked.Exchange(ref _signalled, 1) == 0)
            {
                lock (_closeLock)
                {
                    if (!_closed)
                    {
                        ulong one = 1;
                        Libc.write(_fd, (byte*)&one, sizeof(ulong));
                    }
                }
            }
        }

        public void OnPoll(uint events)
        {
            ulong value;
            Libc.read(_fd, (byte*)&value, sizeof(ulong));
            Volatile.Write(ref _signalled, 0);
        }

        public void AbortNow()
        {
        }

        public void CloseGracefully()
        {
        }

        public void Dispose()
        {
            lock (_closeLock)
            {
                _closed = true;
                Libc.close(_fd);
            }
        }
    }
}
