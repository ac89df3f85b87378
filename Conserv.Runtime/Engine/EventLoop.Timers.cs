using System;
using System.Collections.Generic;
using System.Threading;

namespace Conserv;

// The loop's timers and its clock: a heap of timers keyed by due time (milliseconds on the loop's clock), run at step 2
// of each turn; the poll sleeps until the earliest is due. The clock is Environment.TickCount64, or the TimeProvider of
// EventLoopOptions (a fake clock in tests, whose own timer wakes the loop when it is advanced).
public sealed partial class EventLoop
{
    private readonly PriorityQueue<LoopTimer, long> _timers = new();
    private int _activeTimers;
    private long _now;
    private readonly TimeProvider? _clock;
    private ITimer? _clockTimer;

    /// <summary>
    /// Runs <paramref name="action"/> on the loop thread after <paramref name="delay"/>. While the timer is
    /// pending, it keeps a loop started by <see cref="Run(Action, EventLoopOptions?)"/> alive.
    /// </summary>
    /// <param name="delay">How long to wait; zero or more.</param>
    /// <param name="action">The work to run.</param>
    /// <returns>The timer; dispose it to cancel.</returns>
    public LoopTimer Schedule(TimeSpan delay, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return Schedule(delay, static a => ((Action)a!)(), action);
    }

    internal LoopTimer Schedule(TimeSpan delay, Action<object?> action, object? state)
    {
        if (delay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(delay), delay, "The delay must not be negative.");
        }

        var timer = new LoopTimer(this, ReadClock() + (long)Math.Ceiling(delay.TotalMilliseconds), action, state);
        if (IsLoopThread)
        {
            AddTimer(timer);
        }
        else
        {
            Post(static t => { var timer = (LoopTimer)t!; timer.Loop.AddTimer(timer); }, timer);
        }

        return timer;
    }

    /// <summary>Runs <paramref name="action"/> at <paramref name="dueTicks"/> (<see cref="Now"/>'s clock). Loop thread only.</summary>
    internal LoopTimer ScheduleAt(long dueTicks, Action<object?> action, object? state)
    {
        var timer = new LoopTimer(this, dueTicks, action, state);
        AddTimer(timer);
        return timer;
    }

    /// <summary>
    /// The loop's clock in milliseconds (<see cref="Environment.TickCount64"/>, or <see cref="EventLoopOptions.TimeProvider"/>'s
    /// when one is set), read once per iteration: what sockets stamp their activity with, at no cost per read or write.
    /// </summary>
    internal long Now => _now;

    /// <summary>Reads the clock: milliseconds, on the system clock without a virtual call.</summary>
    private long ReadClock()
    {
        if (_clock is null)
        {
            return Environment.TickCount64;
        }

        // Timestamps of a fake clock count from year 1 in 100 ns ticks: split the division so the product cannot overflow.
        long timestamp = _clock.GetTimestamp(), frequency = _clock.TimestampFrequency;
        return (timestamp / frequency * 1000) + (timestamp % frequency * 1000 / frequency);
    }

    private void AddTimer(LoopTimer timer)
    {
        if (timer.Cancelled)
        {
            return;
        }

        timer.Counted = true;
        _activeTimers++;
        _timers.Enqueue(timer, timer.DueTicks);
    }

    internal void TimerCancelled() => _activeTimers--;

    /// <summary>Timers scheduled and neither run nor cancelled: tests check that nothing leaves one behind.</summary>
    internal int ActiveTimers => _activeTimers;

    private void RunTimers()
    {
        if (_timers.Count == 0)
        {
            return; // the common case on a busy loop: no clock read
        }

        long now = _now = ReadClock();
        while (_timers.TryPeek(out var timer, out long due) && due <= now)
        {
            _timers.Dequeue();
            if (timer.Cancelled)
            {
                continue;
            }

            timer.Cancel();
            try
            {
                timer.Callback(timer.State);
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

    /// <summary>How long until the next live timer falls due on the loop's clock (zero if one is due), or null with none. Loop thread only.</summary>
    internal TimeSpan? TimeUntilNextTimer
    {
        get
        {
            while (_timers.TryPeek(out var timer, out long due))
            {
                if (!timer.Cancelled)
                {
                    return TimeSpan.FromMilliseconds(Math.Max(0, due - ReadClock()));
                }

                _timers.Dequeue();
            }

            return null;
        }
    }

    private int NextTimerTimeout()
    {
        while (_timers.TryPeek(out var timer, out long due))
        {
            if (timer.Cancelled)
            {
                _timers.Dequeue();
                continue;
            }

            long wait = due - ReadClock();
            if (wait <= 0)
            {
                return 0;
            }

            if (_clock is not null)
            {
                // Real time says nothing about a fake clock: sleep until its own timer fires (when it is advanced
                // past the due time) and wakes the loop.
                _clockTimer ??= _clock.CreateTimer(static l => ((EventLoop)l!)._wakeUp.Signal(), this,
                    Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _clockTimer.Change(TimeSpan.FromMilliseconds(wait), Timeout.InfiniteTimeSpan);
                return -1;
            }

            return (int)Math.Min(wait, int.MaxValue);
        }

        return -1;
    }
}
