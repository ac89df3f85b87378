using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>One event as a driver saw it.</summary>
public sealed record Ev(string Kind, TcpSocket? Socket, TcpServer? Server, byte[]? Bytes, string? Text, Exception? Error, int ThreadId)
{
    /// <summary>
    /// When the event was recorded, on the clock the loop's timers use (<see cref="Environment.TickCount64"/>,
    /// milliseconds). Compare it with <see cref="LoopClock.Now"/> read in a handler: both are the same clock.
    /// </summary>
    public long At { get; init; } = LoopClock.Now;

    public override string ToString() => Kind;
}

/// <summary>A thread-safe log of events that tests can await on.</summary>
public sealed class EventLog
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly object _lock = new();
    private readonly List<Ev> _events = new();
    private readonly List<(Func<IReadOnlyList<Ev>, bool> Predicate, TaskCompletionSource Done)> _waiters = new();

    public void Add(Ev ev)
    {
        List<TaskCompletionSource>? ready = null;
        lock (_lock)
        {
            _events.Add(ev);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Predicate(_events))
                {
                    (ready ??= new()).Add(_waiters[i].Done);
                    _waiters.RemoveAt(i);
                }
            }
        }

        if (ready is not null)
        {
            foreach (var done in ready)
            {
                done.TrySetResult();
            }
        }
    }

    /// <summary>A snapshot of every event so far.</summary>
    public IReadOnlyList<Ev> Events
    {
        get
        {
            lock (_lock)
            {
                return _events.ToArray();
            }
        }
    }

    /// <summary>The kinds of the events of <paramref name="socket"/>, in order.</summary>
    public string[] KindsOf(TcpSocket socket) => Events.Where(e => ReferenceEquals(e.Socket, socket)).Select(e => e.Kind).ToArray();

    public int Count(string kind) => Events.Count(e => e.Kind == kind);

    public int Count(string kind, TcpSocket socket) => Events.Count(e => e.Kind == kind && ReferenceEquals(e.Socket, socket));

    public Ev First(string kind) => Events.First(e => e.Kind == kind);

    /// <summary>Every byte the data events of <paramref name="socket"/> carried (all sockets when null).</summary>
    public byte[] BytesOf(TcpSocket? socket = null) => Events
        .Where(e => e.Kind == "data" && (socket is null || ReferenceEquals(e.Socket, socket)))
        .SelectMany(e => e.Bytes!).ToArray();

    /// <summary>Every character the text events of <paramref name="socket"/> carried (all sockets when null).</summary>
    public string TextOf(TcpSocket? socket = null) => string.Concat(Events
        .Where(e => e.Kind == "text" && (socket is null || ReferenceEquals(e.Socket, socket)))
        .Select(e => e.Text));

    /// <summary>Waits until <paramref name="predicate"/> holds for the log; fails the test after the timeout.</summary>
    public async Task WaitForAsync(Func<IReadOnlyList<Ev>, bool> predicate, string what, TimeSpan? timeout = null)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (predicate(_events))
            {
                return;
            }

            _waiters.Add((predicate, done));
        }

        var winner = await Task.WhenAny(done.Task, Task.Delay(timeout ?? DefaultTimeout));
        if (winner != done.Task)
        {
            lock (_lock)
            {
                _waiters.RemoveAll(w => w.Done == done);
            }

            throw new TimeoutException($"Timed out waiting for {what}. Events so far: {string.Join(", ", Events.Select(e => e.Kind))}");
        }
    }

    public Task WaitForAsync(string kind, int count = 1, TimeSpan? timeout = null) =>
        WaitForAsync(evs => evs.Count(e => e.Kind == kind) >= count, $"{count} x '{kind}'", timeout);

    public Task WaitForAsync(string kind, TcpSocket socket, int count = 1) =>
        WaitForAsync(evs => evs.Count(e => e.Kind == kind && ReferenceEquals(e.Socket, socket)) >= count, $"{count} x '{kind}' on {socket}");

    /// <summary>Waits until the data events of all sockets carried at least <paramref name="bytes"/> bytes.</summary>
    public Task WaitForBytesAsync(long bytes, TcpSocket? socket = null) => WaitForAsync(
        evs => evs.Where(e => e.Kind == "data" && (socket is null || ReferenceEquals(e.Socket, socket))).Sum(e => (long)e.Bytes!.Length) >= bytes,
        $"{bytes} bytes of data");

    public Task WaitForTextAsync(string text, TcpSocket? socket = null) => WaitForAsync(
        evs => string.Concat(evs.Where(e => e.Kind == "text" && (socket is null || ReferenceEquals(e.Socket, socket))).Select(e => e.Text)).Contains(text, StringComparison.Ordinal),
        $"text '{text}'");

    /// <summary>The first socket that saw an event of <paramref name="kind"/>.</summary>
    public async Task<TcpSocket> SocketOfFirstAsync(string kind)
    {
        await WaitForAsync(kind);
        return First(kind).Socket!;
    }
}

/// <summary>The clock of <see cref="EventLoop.Schedule"/> and of <c>Pause(timeout)</c>, for checks of when something happened.</summary>
public static class LoopClock
{
    /// <summary>Milliseconds on the loop's clock (<see cref="Environment.TickCount64"/>: monotonic, shared by every thread).</summary>
    public static long Now => Environment.TickCount64;
}

public static class TaskTimeout
{
    /// <summary>Awaits <paramref name="task"/>, failing the test after a generous timeout.</summary>
    public static async Task WithTimeout(this Task task, string what, TimeSpan? timeout = null)
    {
        var winner = await Task.WhenAny(task, Task.Delay(timeout ?? EventLog.DefaultTimeout));
        if (winner != task)
        {
            throw new TimeoutException($"Timed out waiting for {what}.");
        }

        await task;
    }

    public static async Task<T> WithTimeout<T>(this Task<T> task, string what, TimeSpan? timeout = null)
    {
        await ((Task)task).WithTimeout(what, timeout);
        return await task;
    }

    public static Task WithTimeout(this ValueTask task, string what, TimeSpan? timeout = null) => task.AsTask().WithTimeout(what, timeout);
}
