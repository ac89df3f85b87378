using System;

namespace Conserv;

/// <summary>A callback scheduled on an <see cref="EventLoop"/>; dispose it to cancel it.</summary>
public sealed class LoopTimer : IDisposable
{
    private readonly EventLoop _loop;
    internal readonly Action<object?> Callback;
    internal readonly object? State;

    internal LoopTimer(EventLoop loop, long dueTicks, Action<object?> callback, object? state)
    {
        _loop = loop;
        DueTicks = dueTicks;
        Callback = callback;
        State = state;
    }

    internal long DueTicks { get; }

    internal EventLoop Loop => _loop;

    internal bool Cancelled { get; private set; }

    /// <summary>
    /// True once the loop counts the timer among its pending ones. A timer scheduled from another thread is added by
    /// posted work, and loop code may dispose it before that runs: it must not be uncounted then.
    /// </summary>
    internal bool Counted { get; set; }

    /// <summary>Cancels the callback if it has not run yet. Safe from any thread, and more than once.</summary>
    public void Dispose()
    {
        if (_loop.IsLoopThread)
        {
            Cancel();
        }
        else
        {
            _loop.Post(static t => ((LoopTimer)t!).Cancel(), this);
        }
    }

    internal void Cancel()
    {
        if (!Cancelled)
        {
            Cancelled = true;
            if (Counted)
            {
                _loop.TimerCancelled();
            }
        }
    }
}
