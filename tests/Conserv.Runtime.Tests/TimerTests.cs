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
    public async Task An_action_that_throws_is_reported_as_unhandled_and_the_next_timer_still_runs()
    {
        await using var loop = new TestLoop();
        var reported = new TaskCompletionSource<LoopExceptionEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Loop.UnhandledException += (_, e) => reported.TrySetResult(e);
        var later = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await loop.OnLoop(() =>
        {
            loop.Loop.Schedule(TimeSpan.Zero, () => throw new CustomTestException("from a timer"));
            loop.Loop.Schedule(TimeSpan.FromMilliseconds(50), () => later.SetResult());
        });

        LoopExceptionEventArgs report = await reported.Task.WithTimeout("the timer's exception to be reported");
        Assert.Equal("from a timer", Assert.IsType<CustomTestException>(report.Exception).Message);
        Assert.Null(report.Socket);
        Assert.Null(report.Server);
        await later.Task.WithTimeout("the next timer");
    }

    [Fact]
    public async Task A_timer_that_fell_due_while_the_loop_ran_its_timers_runs_before_the_loop_sleeps()
    {
        // The clock can pass a timer's due time after the loop has run its due timers and before it polls: a fake
        // clock advanced by the test while the loop works (here by the loop's own timer, to place it exactly). The
        // loop must then poll without sleeping, not arm the clock's timer for a time already past.
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var loop = new TestLoop(new EventLoopOptions { TimeProvider = clock });
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await loop.OnLoop(() => loop.Loop.Schedule(TimeSpan.Zero, () =>
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            loop.Loop.Schedule(TimeSpan.Zero, ran.SetResult); // due after this turn's timers were taken
            clock.Advance(TimeSpan.FromSeconds(1));          // and past before the loop polls
        }));

        await ran.Task.WithTimeout("the timer that fell due before the poll");
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
    public async Task A_timer_disposed_by_an_earlier_timer_due_in_the_same_turn_does_not_run()
    {
        // Both timers are due when the loop next looks at its timers (the loop thread is kept busy past both due
        // times): the first one disposes the second, which the same pass must then skip.
        await using var loop = new TestLoop();
        bool secondRan = false;
        var firstRan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await loop.OnLoop(() =>
        {
            LoopTimer? second = null;
            loop.Loop.Schedule(TimeSpan.Zero, () =>
            {
                second!.Dispose();
                firstRan.SetResult();
            });
            second = loop.Loop.Schedule(TimeSpan.FromMilliseconds(1), () => secondRan = true);
            Thread.Sleep(20); // both are due before this callback returns
        });

        await firstRan.Task.WithTimeout("the first timer");
        await loop.Loop.Barrier();
        Assert.False(secondRan, "a timer disposed by an earlier one in the same turn still ran");
    }

    [Fact]
    public async Task The_time_until_the_next_timer_is_measured_on_the_loops_clock_and_skips_disposed_timers()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var loop = new TestLoop(new EventLoopOptions { TimeProvider = clock });

        var (none, next, later) = await loop.OnLoop(() =>
        {
            var none = loop.Loop.TimeUntilNextTimer;
            var first = loop.Loop.Schedule(TimeSpan.FromSeconds(3), () => { });
            loop.Loop.Schedule(TimeSpan.FromSeconds(5), () => { });
            clock.Advance(TimeSpan.FromSeconds(1));
            var next = loop.Loop.TimeUntilNextTimer;
            first.Dispose();
            return (none, next, loop.Loop.TimeUntilNextTimer);
        });

        Assert.Null(none);
        Assert.Equal(TimeSpan.FromSeconds(2), next);
        Assert.Equal(TimeSpan.FromSeconds(4), later);
    }

    [Fact]
    public async Task A_loop_on_a_fake_clock_sleeps_until_the_clock_passes_its_next_timer_and_then_runs_it()
    {
        // Nothing but the fake clock's own timer wakes the loop here: no post, no socket.
        var clock = new ObservedFakeClock();
        await using var loop = new TestLoop(new EventLoopOptions { TimeProvider = clock });
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        loop.Loop.Schedule(TimeSpan.FromSeconds(10), ran.SetResult);
        var armedFor = await clock.Armed.Task.WithTimeout("the loop to arm the clock's timer before it sleeps");
        Assert.Equal(TimeSpan.FromSeconds(10), armedFor);

        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.False(ran.Task.IsCompleted, "the timer ran before its time on the fake clock");
        clock.Advance(TimeSpan.FromSeconds(1));
        await ran.Task.WithTimeout("the timer, once the fake clock passed its due time");
    }

    /// <summary>A fake clock that tells when the loop arms one of its timers, and for how long.</summary>
    private sealed class ObservedFakeClock : Microsoft.Extensions.Time.Testing.FakeTimeProvider
    {
        public TaskCompletionSource<TimeSpan> Armed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            new Observed(base.CreateTimer(callback, state, dueTime, period), this);

        private sealed class Observed(ITimer inner, ObservedFakeClock clock) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                if (dueTime != Timeout.InfiniteTimeSpan)
                {
                    clock.Armed.TrySetResult(dueTime);
                }

                return inner.Change(dueTime, period);
            }

            public void Dispose() => inner.Dispose();

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_timer_scheduled_from_another_thread_and_disposed_before_its_addition_ran_is_counted_once_and_Run_returns(bool disposeOnLoop)
    {
        // Schedule off the loop queues the timer's addition. Disposed from another thread, the cancel queues behind
        // it; disposed by loop code before the addition ran, it cancels at once. Either way the loop must count the
        // timer once or not at all, or Run waits for a timer count that never comes back to zero.
        var ready = new TaskCompletionSource<(EventLoop Loop, LoopTimer KeepAlive)>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool ran = false;
        var run = RunOnNewThread(() =>
        {
            var keepAlive = EventLoop.Current!.Schedule(TimeSpan.FromHours(1), () => ran = true);
            ready.SetResult((EventLoop.Current, keepAlive));
        });

        var (loop, keepAlive) = await ready.Task.WithTimeout("the loop's setup");
        using var gate = new ManualResetEventSlim();
        LoopTimer? timer = null;
        loop.Post(() =>
        {
            gate.Wait(EventLog.DefaultTimeout); // holds the queue: the addition below waits behind this work
            if (disposeOnLoop)
            {
                Volatile.Read(ref timer)!.Dispose();
            }
        });
        Volatile.Write(ref timer, loop.Schedule(TimeSpan.FromHours(1), () => ran = true));
        if (!disposeOnLoop)
        {
            timer!.Dispose();
        }

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
        Assert.StartsWith("The delay must not be negative.", e.Message);
        Assert.Throws<ArgumentNullException>(() => loop.Loop.Schedule(TimeSpan.Zero, null!));
    }
}
