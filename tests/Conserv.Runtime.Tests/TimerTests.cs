using System;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary><see cref="EventLoop.Schedule"/> and <see cref="LoopTimer"/>, on the loop's own clock.</summary>
public class TimerTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(500);

    /// <summary>The least a timer may wait on the loop's clock: its delay, less a coarse clock tick or two.</summary>
    private static readonly long AtLeast = (long)Delay.TotalMilliseconds - 50;

    private static Task RunOnNewThread(Action setup) =>
        Task.Factory.StartNew(() => EventLoop.Run(setup), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    [Fact]
    public async Task Schedule_from_the_loop_runs_the_action_on_the_loop_thread_after_the_delay_and_not_before()
    {
        await using var loop = new TestLoop();
        var ran = new TaskCompletionSource<(long At, bool OnLoop)>(TaskCreationOptions.RunContinuationsAsynchronously);

        long scheduledAt = await loop.OnLoop(() =>
        {
            long now = LoopClock.Now;
            loop.Loop.Schedule(Delay, () => ran.SetResult((LoopClock.Now, loop.Loop.IsLoopThread)));
            return now;
        });

        var (at, onLoop) = await ran.Task.WithTimeout("the scheduled action");
        Assert.True(onLoop, "the action ran off the loop thread");
        Assert.True(at - scheduledAt >= AtLeast, $"ran {at - scheduledAt} ms after Schedule; the delay is {Delay.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Schedule_from_another_thread_runs_the_action_on_the_loop_thread_after_the_delay_and_not_before()
    {
        await using var loop = new TestLoop();
        var ran = new TaskCompletionSource<(long At, bool OnLoop)>(TaskCreationOptions.RunContinuationsAsynchronously);

        long scheduledAt = LoopClock.Now;
        loop.Loop.Schedule(Delay, () => ran.SetResult((LoopClock.Now, loop.Loop.IsLoopThread)));

        var (at, onLoop) = await ran.Task.WithTimeout("the scheduled action");
        Assert.True(onLoop, "the action ran off the loop thread");
        Assert.True(at - scheduledAt >= AtLeast, $"ran {at - scheduledAt} ms after Schedule; the delay is {Delay.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Disposing_the_timer_on_the_loop_cancels_its_action()
    {
        await using var loop = new TestLoop();
        bool cancelledRan = false;
        var later = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await loop.OnLoop(() =>
        {
            var timer = loop.Loop.Schedule(TimeSpan.FromMilliseconds(100), () => cancelledRan = true);
            timer.Dispose();
            timer.Dispose(); // more than once is fine
            // Timers run in order of their due time: once this later one has run, the cancelled one would have.
            loop.Loop.Schedule(TimeSpan.FromMilliseconds(300), () => later.SetResult());
        });

        await later.Task.WithTimeout("the later timer");
        await loop.Loop.Barrier();
        Assert.False(cancelledRan, "a disposed timer ran its action");
    }

    [Fact]
    public async Task Disposing_the_timer_from_another_thread_cancels_its_action()
    {
        await using var loop = new TestLoop();
        bool cancelledRan = false;
        var later = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var timer = loop.Loop.Schedule(TimeSpan.FromMilliseconds(100), () => cancelledRan = true);
        timer.Dispose();
        loop.Loop.Schedule(TimeSpan.FromMilliseconds(300), () => later.SetResult());

        await later.Task.WithTimeout("the later timer");
        await loop.Loop.Barrier();
        Assert.False(cancelledRan, "a disposed timer ran its action");
    }

    [Fact]
    public async Task A_pending_timer_keeps_Run_alive_until_it_has_run()
    {
        long scheduledAt = 0, ranAt = 0;
        var run = RunOnNewThread(() =>
        {
            scheduledAt = LoopClock.Now;
            EventLoop.Current!.Schedule(Delay, () => ranAt = LoopClock.Now);
        });

        await run.WithTimeout("Run to return once its timer has run");
        Assert.True(ranAt != 0, "Run returned before its pending timer ran");
        Assert.True(ranAt - scheduledAt >= AtLeast, $"ran {ranAt - scheduledAt} ms after Schedule; the delay is {Delay.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_disposed_timer_does_not_keep_Run_alive()
    {
        bool ran = false;
        var run = RunOnNewThread(() => EventLoop.Current!.Schedule(TimeSpan.FromHours(1), () => ran = true).Dispose());

        await run.WithTimeout("Run to return: its only timer was disposed");
        Assert.False(ran);
    }

    [Fact]
    public async Task A_timer_scheduled_and_disposed_from_another_thread_is_counted_once_and_Run_still_returns()
    {
        // Off the loop thread, Dispose must queue the cancel behind the queued AddTimer: cancelling at once would
        // uncount a timer that was never counted, and Run would wait for a timer count that never comes back to zero.
        var ready = new TaskCompletionSource<(EventLoop Loop, LoopTimer KeepAlive)>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool ran = false;
        var run = RunOnNewThread(() =>
        {
            var keepAlive = EventLoop.Current!.Schedule(TimeSpan.FromHours(1), () => ran = true);
            ready.SetResult((EventLoop.Current, keepAlive));
        });

        var (loop, keepAlive) = await ready.Task.WithTimeout("the loop's setup");
        using var gate = new ManualResetEventSlim();
        loop.Post(() => gate.Wait(EventLog.DefaultTimeout)); // holds the queue: the AddTimer below is still queued at Dispose
        var timer = loop.Schedule(TimeSpan.FromHours(1), () => ran = true);
        timer.Dispose();
        gate.Set();
        loop.Post(keepAlive.Dispose);

        await run.WithTimeout("Run to return: both of its timers were disposed");
        Assert.False(ran, "a disposed timer ran its action");
    }

    [Fact]
    public async Task Schedule_rejects_a_negative_delay_and_a_null_action()
    {
        await using var loop = new TestLoop();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => loop.Loop.Schedule(TimeSpan.FromMilliseconds(-1), () => { }));
        Assert.Equal("delay", e.ParamName);
        Assert.Throws<ArgumentNullException>(() => loop.Loop.Schedule(TimeSpan.Zero, null!));
    }
}
