using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Hosting.Tests;

/// <summary>Sends every byte back.</summary>
public sealed partial class EchoConnection
{
    [OnSocketData]
    private static void Echo(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write(data);
}

/// <summary>A singleton: numbers the driver instances as they are made.</summary>
public sealed class InstanceCounter
{
    private int _made;

    /// <summary>How many instances have been made.</summary>
    public int Made => Volatile.Read(ref _made);

    /// <summary>The next number.</summary>
    /// <returns>1, 2, …</returns>
    public int Next() => Interlocked.Increment(ref _made);
}

/// <summary>A singleton: records which scoped resources have been disposed.</summary>
public sealed class DisposalLog
{
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _disposed = new();

    /// <summary>Completes when resource <paramref name="id"/> is disposed.</summary>
    /// <param name="id">The resource.</param>
    /// <returns>The task.</returns>
    public Task Disposed(int id) => _disposed.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Records the disposal of resource <paramref name="id"/>.</summary>
    /// <param name="id">The resource.</param>
    public void Record(int id) => _disposed.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}

/// <summary>A scoped service: one per connection scope, disposed with it.</summary>
public sealed class ConnectionResource(DisposalLog log) : IDisposable
{
    private static int s_next;

    /// <summary>This resource's id.</summary>
    public int Id { get; } = Interlocked.Increment(ref s_next);

    /// <inheritdoc/>
    public void Dispose() => log.Record(Id);
}

/// <summary>Answers every read with "instance:resource\n": which driver instance and which scoped resource serve it.</summary>
public sealed partial class NumberedConnection(InstanceCounter counter, ConnectionResource resource)
{
    private readonly int _number = counter.Next();

    [OnSocketData]
    private void Reply(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write($"{_number}:{resource.Id}\n");
}

/// <summary>One shared instance: counts connections across the server, and records its server events.</summary>
public sealed partial class SharedCounter
{
    private int _connections;

    /// <summary>Completes when the server's listen event has reached this instance.</summary>
    public TaskCompletionSource Listened { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the server's close event has reached this instance.</summary>
    public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [OnServerListen]
    private void Listening() => Listened.TrySetResult();

    [OnServerConnection]
    private void Accepted(TcpSocket client) => _connections++; // no lock: every event is on the server's one loop

    [OnSocketData]
    private void Reply(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write($"{_connections}\n");

    [OnServerClose]
    private void ServerClosed() => Closed.TrySetResult();
}

/// <summary>A singleton gate: the reply of <see cref="SlowReplyConnection"/> waits for <see cref="Release"/>.</summary>
public sealed class ReplyGate
{
    /// <summary>Completes when a request has arrived and its handler is waiting.</summary>
    public TaskCompletionSource Waiting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Complete it to let the handler reply.</summary>
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Replies "reply\n" to a request, but only once the gate opens: a request in progress when the host stops.</summary>
public sealed partial class SlowReplyConnection(ReplyGate gate)
{
    [OnSocketData]
    private async ValueTask Request(TcpSocket socket, ReadOnlyMemory<byte> data)
    {
        gate.Waiting.TrySetResult();
        await gate.Release.Task;
        socket.Write("reply\n"u8);
    }
}

/// <summary>Needs a service nobody registered: it cannot be made.</summary>
public sealed partial class NeedsMissingService(IServiceThatIsNotRegistered missing)
{
    [OnSocketData]
    private void Echo(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write(missing.ToString()!);
}

/// <summary>Never registered in the tests.</summary>
public interface IServiceThatIsNotRegistered
{
}

/// <summary>Its connection handler refuses every second connection by throwing; its data handler echoes.</summary>
public sealed partial class PickyConnection(InstanceCounter counter)
{
    private readonly int _number = counter.Next();

    [OnServerConnection]
    private void Accepted()
    {
        if (_number % 2 == 0)
        {
            throw new InvalidOperationException("every second connection is not welcome");
        }
    }

    [OnSocketData]
    private static void Echo(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write(data);
}

/// <summary>Its data handler fails, and so does its error handler: an exception no handler takes.</summary>
public sealed partial class DoublyBrokenConnection
{
    [OnSocketData]
    private static void Received(ReadOnlySpan<byte> data) => throw new FormatException("bad request");

    [OnSocketError]
    private static void Failed(Exception error) => throw new InvalidOperationException("the error handler failed too", error);
}

/// <summary>A singleton gate for <see cref="LoopReporter"/>: counts requests that arrived, and holds their replies.</summary>
public sealed class RequestGate
{
    /// <summary>Released once per request that arrived and is waiting.</summary>
    public SemaphoreSlim Arrived { get; } = new(0);

    /// <summary>Complete it to let every waiting request reply.</summary>
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// Tells which loop serves it: "w" is answered with "{index}\n", the index of the serving loop in the host's group
/// (-1 if the loop is not one of the group's). "r" is a request whose "reply\n" waits for <see cref="RequestGate.Release"/>.
/// </summary>
public sealed partial class LoopReporter(EventLoopGroup group, RequestGate gate)
{
    [OnSocketData]
    private async ValueTask Received(TcpSocket socket, ReadOnlyMemory<byte> data)
    {
        if (data.Span[0] == (byte)'r')
        {
            gate.Arrived.Release();
            await gate.Release.Task;
            socket.Write("reply\n"u8);
            return;
        }

        int index = -1;
        for (int i = 0; i < group.Loops.Count; i++)
        {
            if (group.Loops[i] == EventLoop.Current)
            {
                index = i;
            }
        }

        socket.Write($"{index}\n");
    }
}

/// <summary>A singleton: what <see cref="PerLoopCounter"/> instances saw, in order.</summary>
public sealed class EventRecord
{
    private readonly ConcurrentQueue<string> _events = new();

    /// <summary>Everything recorded so far.</summary>
    public IReadOnlyCollection<string> Events => _events.ToArray();

    /// <summary>Records <paramref name="text"/>.</summary>
    /// <param name="text">What happened.</param>
    public void Add(string text) => _events.Enqueue(text);
}

/// <summary>
/// One instance per loop (<see cref="ConservServerOptions.DriverPerLoop"/>): counts its loop's connections without a
/// lock, checks that every event reaches it on one thread, and answers "instance:loop:connections:oneThread\n".
/// </summary>
public sealed partial class PerLoopCounter(InstanceCounter counter, EventLoopGroup group, EventRecord record) : IDisposable
{
    private readonly int _number = counter.Next();
    private int _connections;
    private int? _thread;
    private bool _oneThread = true;

    /// <inheritdoc/>
    public void Dispose() => record.Add($"dispose {_number}");

    [OnServerListen]
    private void Listening()
    {
        Seen();
        record.Add($"listen {_number}");
    }

    [OnServerConnection]
    private void Accepted()
    {
        Seen();
        _connections++;
    }

    [OnSocketData]
    private void Reply(TcpSocket socket, ReadOnlySpan<byte> data)
    {
        Seen();
        int loop = -1;
        for (int i = 0; i < group.Loops.Count; i++)
        {
            if (group.Loops[i] == EventLoop.Current)
            {
                loop = i;
            }
        }

        socket.Write($"{_number}:{loop}:{_connections}:{_oneThread}\n");
    }

    [OnServerClose]
    private void ServerClosed()
    {
        Seen();
        record.Add($"close {_number} {_oneThread}");
    }

    private void Seen()
    {
        int thread = Environment.CurrentManagedThreadId;
        _thread ??= thread;
        _oneThread &= _thread == thread;
    }
}
