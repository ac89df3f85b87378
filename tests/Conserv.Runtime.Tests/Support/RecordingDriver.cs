using System;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>
/// A hand-written socket and server driver that records every event in <see cref="Log"/> (before running
/// the optional per-event delegate) so tests can await and inspect what happened.
/// An event is logged before its delegate runs: to read what a delegate captured, await the loop's
/// <see cref="LoopExtensions.Barrier"/> after waiting for the event.
/// Event kinds: listen, connection, serverError, serverClose, connect, data, text, eof, outputEmpty, error, close.
/// </summary>
public sealed class RecordingDriver : ISocketEventDriver, IServerEventDriver
{
    public RecordingDriver(EventLog? log = null) => Log = log ?? new EventLog();

    public EventLog Log { get; }

    public SocketDriverFeatures Features { get; init; } = SocketDriverFeatures.ByteData | SocketDriverFeatures.OutputEmpty;

    /// <summary>The framing of the driver's sockets; null: data as read.</summary>
    public SocketFraming? Framing { get; init; }

    public Func<TcpSocket, ValueTask>? OnConnect { get; init; }

    public Func<TcpSocket, ReadOnlyMemory<byte>, ValueTask>? OnData { get; init; }

    public Func<TcpSocket, ReadOnlyMemory<char>, ValueTask>? OnText { get; init; }

    public Func<TcpSocket, ValueTask>? OnEndOfFile { get; init; }

    public Func<TcpSocket, ValueTask>? OnOutputEmpty { get; init; }

    /// <summary>Handles an error; returns true if handled. Null: unhandled (the runtime drops the connection).</summary>
    public Func<TcpSocket, Exception, ValueTask<bool>>? OnError { get; init; }

    public Action<TcpSocket, Exception?>? OnClose { get; init; }

    public Func<TcpServer, ValueTask>? OnListen { get; init; }

    public Func<TcpServer, TcpSocket, ValueTask>? OnConnection { get; init; }

    public Func<TcpServer, Exception, ValueTask<bool>>? OnServerErr { get; init; }

    public Action<TcpServer>? OnServerClosed { get; init; }

    /// <summary>Makes a driver whose data handler writes back what it reads.</summary>
    public static RecordingDriver Echo(EventLog? log = null) => new(log)
    {
        OnData = (s, d) =>
        {
            s.Write(d.Span);
            return default;
        },
    };

    /// <summary>Echoes, and handles every server error: a server that serves on through transient accept failures.</summary>
    public static RecordingDriver EchoHandlingServerErrors() => new()
    {
        OnData = (s, d) =>
        {
            s.Write(d.Span);
            return default;
        },
        OnServerErr = (_, _) => ValueTask.FromResult(true),
    };

    /// <summary>
    /// Echoes, except that data starting with '!' makes the data handler throw a <see cref="CustomTestException"/>,
    /// and the error handler itself throws: the case nothing can handle.
    /// </summary>
    public static RecordingDriver EchoWithFailingErrorHandler() => new()
    {
        OnData = (s, d) =>
        {
            if (d.Span[0] == (byte)'!')
            {
                throw new CustomTestException("first");
            }

            s.Write(d.Span);
            return default;
        },
        OnError = (_, _) => throw new ArgumentException("the error handler failed"),
    };

    private static int Tid => Environment.CurrentManagedThreadId;

    private void Record(string kind, TcpSocket? socket, TcpServer? server = null, byte[]? bytes = null, string? text = null, Exception? error = null) =>
        Log.Add(new Ev(kind, socket, server, bytes, text, error, Tid));

    ValueTask ISocketEventDriver.OnSocketConnect(TcpSocket socket)
    {
        Record("connect", socket);
        return OnConnect?.Invoke(socket) ?? default;
    }

    ValueTask ISocketEventDriver.OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data)
    {
        Record("data", socket, bytes: data.ToArray());
        return OnData?.Invoke(socket, data) ?? default;
    }

    ValueTask ISocketEventDriver.OnSocketText(TcpSocket socket, ReadOnlyMemory<char> text)
    {
        Record("text", socket, text: text.ToString());
        return OnText?.Invoke(socket, text) ?? default;
    }

    ValueTask ISocketEventDriver.OnSocketEndOfFile(TcpSocket socket)
    {
        Record("eof", socket);
        return OnEndOfFile?.Invoke(socket) ?? default;
    }

    ValueTask ISocketEventDriver.OnSocketOutputEmpty(TcpSocket socket)
    {
        Record("outputEmpty", socket);
        return OnOutputEmpty?.Invoke(socket) ?? default;
    }

    ValueTask<bool> ISocketEventDriver.OnSocketError(TcpSocket socket, Exception error)
    {
        Record("error", socket, error: error);
        return OnError?.Invoke(socket, error) ?? new ValueTask<bool>(false);
    }

    void ISocketEventDriver.OnSocketClose(TcpSocket socket, Exception? cause)
    {
        Record("close", socket, error: cause);
        OnClose?.Invoke(socket, cause);
    }

    ValueTask IServerEventDriver.OnServerListen(TcpServer server)
    {
        Record("listen", null, server);
        return OnListen?.Invoke(server) ?? default;
    }

    ValueTask IServerEventDriver.OnServerConnection(TcpServer server, TcpSocket client)
    {
        Record("connection", client, server);
        return OnConnection?.Invoke(server, client) ?? default;
    }

    ValueTask<bool> IServerEventDriver.OnServerError(TcpServer server, Exception error)
    {
        Record("serverError", null, server, error: error);
        return OnServerErr?.Invoke(server, error) ?? new ValueTask<bool>(false);
    }

    void IServerEventDriver.OnServerClose(TcpServer server)
    {
        Record("serverClose", null, server);
        OnServerClosed?.Invoke(server);
    }
}

/// <summary>An exception type of the tests' own, to check errors arrive with their real type.</summary>
public sealed class CustomTestException : Exception
{
    public CustomTestException(string message) : base(message)
    {
    }
}
