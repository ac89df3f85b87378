using System;
using System.Runtime.InteropServices;

namespace Conserv;

// Stopping a loop: at once (abort everything), or gracefully with a drain period (stop accepting, let queued
// output and running handlers finish, then abort what is left), which is also what SIGINT/SIGTERM do to a
// program that runs EventLoop.Run.
public sealed partial class EventLoop
{
    private bool _draining;

    /// <summary>
    /// Stops the loop after its current iteration: every socket and server still open is aborted, with its
    /// close events, and Unix socket files are removed. Safe from any thread; does nothing once stopped.
    /// </summary>
    public void Stop()
    {
        _stopRequested = true;
        _wakeUp.Signal();
    }

    /// <summary>
    /// Stops the loop gracefully: every server stops accepting and closes its clients gracefully, every other
    /// socket closes gracefully (sending what it has queued, after a running data handler has finished). The
    /// loop stops once all have closed, or after <paramref name="drainTimeout"/>, when what is left is aborted.
    /// Close events always run. Safe from any thread; calling it again only shortens nothing.
    /// </summary>
    /// <param name="drainTimeout">How long connections may take to finish; zero aborts them at once.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="drainTimeout"/> is negative.</exception>
    public void Stop(TimeSpan drainTimeout)
    {
        if (drainTimeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(drainTimeout), drainTimeout, "The drain period must not be negative.");
        }

        RunOrPost(this, static (loop, timeout) => loop.BeginDrain((TimeSpan)timeout!), drainTimeout);
    }

    private void BeginDrain(TimeSpan drainTimeout)
    {
        if (_draining)
        {
            return;
        }

        _draining = true;
        Schedule(drainTimeout, static l => ((EventLoop)l!).Stop(), this);

        CloseEveryOpenTarget(static t => t.CloseGracefully());
        _wakeUp.Signal(); // re-check the stop condition even when nothing was open
    }

    /// <summary>
    /// SIGINT (Ctrl+C) and SIGTERM for a loop run by <see cref="Run(Action, EventLoopOptions?)"/>: the first
    /// signal stops the loop gracefully (<see cref="EventLoopOptions.ShutdownTimeout"/>), so close handlers run and
    /// <c>Run</c> returns normally; a second one stops it at once.
    /// </summary>
    private sealed class StopSignals : IDisposable
    {
        private readonly EventLoop _loop;
        private readonly PosixSignalRegistration _interrupt;
        private readonly PosixSignalRegistration _terminate;
        private int _received;

        public StopSignals(EventLoop loop)
        {
            _loop = loop;
            _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        }

        public void Dispose()
        {
            _interrupt.Dispose();
            _terminate.Dispose();
        }

        private void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // the loop ends the program itself, after the close handlers ran
            if (System.Threading.Interlocked.Increment(ref _received) == 1)
            {
                _loop.Stop(_loop.Options.ShutdownTimeout);
            }
            else
            {
                _loop.Stop();
            }
        }
    }
}
