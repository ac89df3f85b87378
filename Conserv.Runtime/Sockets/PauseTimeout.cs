using System;

namespace Conserv;

/// <summary>
/// The timer that ends a <c>Pause(timeout)</c> of a socket or server. Only the earliest one is kept (a
/// later one would find the reads already resumed), and resuming or closing cancels it: a pending timer
/// keeps a loop started by <see cref="EventLoop.Run"/> alive, and nothing waits for this one any more.
/// </summary>
internal struct PauseTimeout
{
    private LoopTimer? _timer;

    /// <summary>Runs <paramref name="resume"/> after <paramref name="delay"/>, unless an earlier resume is already armed.</summary>
    public void Arm(EventLoop loop, TimeSpan delay, Action<object?> resume, object state)
    {
        var timer = loop.Schedule(delay, resume, state);
        if (_timer is { Cancelled: false } current && current.DueTicks <= timer.DueTicks)
        {
            timer.Dispose();
            return;
        }

        _timer?.Dispose();
        _timer = timer;
    }

    public void Cancel()
    {
        _timer?.Dispose();
        _timer = null;
    }
}
