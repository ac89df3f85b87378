using System;
using System.Collections.Concurrent;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Generators.Tests.Runtime;

/// <summary>
/// Throws the exception a client names ("socket", "eof", "io", "invalid", "custom"), one command per line,
/// so error dispatch can be driven through a real socket. Base class of <see cref="SpecializedDriver"/>.
/// </summary>
public partial class ThrowingDriver
{
    private readonly StringBuilder _line = new();

    public ConcurrentQueue<string> Handled { get; } = new();

    [OnSocketData]
    private void Command(ReadOnlySpan<byte> data)
    {
        _line.Append(Encoding.ASCII.GetString(data));
        string text = _line.ToString();
        int end = text.IndexOf('\n', StringComparison.Ordinal);
        if (end < 0)
        {
            return;
        }

        _line.Clear().Append(text, end + 1, text.Length - end - 1);
        throw text[..end] switch
        {
            "socket" => new SocketException((int)SocketError.ConnectionAborted),
            "eof" => new EndOfStreamException(),
            "io" => new IOException("io"),
            "invalid" => new InvalidOperationException(),
            _ => new CustomFault(),
        };
    }

    [OnSocketError(typeof(IOException))]
    private void BaseIo(TcpSocket socket, IOException error) => Reply(socket, "base-io:" + error.GetType().Name);

    [OnSocketError]
    protected virtual void BaseAny(TcpSocket socket, Exception error) => Reply(socket, "base-any:" + error.GetType().Name);

    protected void Reply(TcpSocket socket, string handler)
    {
        Handled.Enqueue(handler);
        socket.Write(handler + "\n");
    }
}

/// <summary>An exception no error handler names but the catch-all.</summary>
public sealed class CustomFault : Exception
{
}

/// <summary>Adds a <see cref="SocketException"/> handler and its own catch-all to <see cref="ThrowingDriver"/>.</summary>
public sealed partial class SpecializedDriver : ThrowingDriver
{
    [OnSocketError(typeof(SocketException))]
    private static ValueTask Reset(SocketException error, TcpSocket socket)
    {
        ((ThrowingDriver)socket.Driver!).Handled.Enqueue("derived-socket:" + error.SocketErrorCode);
        socket.Write("derived-socket\n");
        return default;
    }

    [OnSocketError]
    private async Task DerivedAny(TcpSocket socket, Exception error, CancellationToken closed)
    {
        await Task.Yield();
        Reply(socket, "derived-any:" + error.GetType().Name);
    }
}

/// <summary>Handles only <see cref="IOException"/>: any other error is unmatched and drops the connection.</summary>
public sealed partial class NarrowDriver
{
    public ConcurrentQueue<string> Events { get; } = new();

    [OnSocketData]
    private static void Throw(ReadOnlyMemory<byte> data) => throw new InvalidOperationException("unmatched");

    [OnSocketError(typeof(IOException))]
    private void Io(IOException error) => Events.Enqueue("io");

    [OnSocketClose]
    private void Closed(Exception? cause) => Events.Enqueue("close:" + cause?.GetType().Name);
}

/// <summary>Echoes bytes with an async handler, text with a text handler; records its socket and server events.</summary>
public partial class EchoDriver
{
    public ConcurrentQueue<string> Events { get; } = new();

    public TaskCompletionSource ServerClosed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [OnSocketData]
    private async ValueTask Bytes(TcpSocket socket, ReadOnlyMemory<byte> data, CancellationToken closed)
    {
        byte[] copy = data.ToArray();
        await Task.Yield();
        closed.ThrowIfCancellationRequested();
        socket.Write(copy);
    }

    [OnSocketData]
    private void Text(TcpSocket socket, string text, TcpServer? server) => socket.Write(text.ToUpperInvariant() + (server is null ? "?" : "!"));

    [OnSocketEndOfFile]
    private void Ended() => Events.Enqueue("eof");

    [OnSocketClose]
    private void Closed(Exception? cause) => Events.Enqueue("close:" + (cause?.GetType().Name ?? "none"));

    [OnServerListen]
    private void Listening(TcpServer server) => Events.Enqueue("listen");

    [OnServerConnection]
    private Task Accepted(TcpServer server, TcpSocket client)
    {
        Events.Enqueue("connection");
        return Task.CompletedTask;
    }

    [OnServerClose]
    private void ServerClose()
    {
        Events.Enqueue("server-close");
        ServerClosed.TrySetResult();
    }
}

/// <summary>Throws from its connection handler, so the server's error dispatch runs.</summary>
public sealed partial class FailingServerDriver
{
    private readonly Exception _fault;

    public FailingServerDriver(Exception fault) => _fault = fault;

    public ConcurrentQueue<string> Events { get; } = new();

    public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [OnServerConnection]
    private void Accepted() => throw _fault;

    [OnServerError(typeof(SocketException))]
    private void SocketFault(SocketException error) => Events.Enqueue("socket");

    [OnServerError(typeof(IOException))]
    private void IoFault(IOException error, TcpServer server) => Events.Enqueue("io");

    [OnServerError]
    private ValueTask AnyFault(Exception error) { Events.Enqueue("any"); return default; }

    [OnServerClose]
    private void ServerClosed()
    {
        Events.Enqueue("close");
        Closed.TrySetResult();
    }
}

/// <summary>A generated line driver: answers each line, including after a handled error in the same batch.</summary>
public sealed partial class LineCommandDriver
{
    [OnSocketLine(MaxLength = 64)]
    private void Line(TcpSocket socket, string line)
    {
        if (line.StartsWith("BOGUS", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("unknown command");
        }

        socket.Write("+" + line + "\n");
    }

    [OnSocketError(typeof(FrameTooLongException))]
    private void TooLong(TcpSocket socket, FrameTooLongException error) => socket.Write($"-ERR longer than {error.MaxLength}\n");

    [OnSocketError(typeof(InvalidOperationException))]
    private void Unknown(TcpSocket socket, InvalidOperationException error) => socket.Write("-ERR " + error.Message + "\n");
}

/// <summary>One-byte-length-prefixed frames decoded by a decoder of the driver's own; each frame is answered with its length.</summary>
public sealed partial class PrefixDecoderDriver
{
    [OnSocketFrame(Decoder = typeof(ByteCountDecoder), MaxLength = 300)]
    private void Frame(TcpSocket socket, ReadOnlyMemory<byte> frame) => socket.Write($"{frame.Length}:{System.Text.Encoding.ASCII.GetString(frame.Span)}\n");
}

/// <summary>A frame is one length byte and that many bytes.</summary>
public sealed class ByteCountDecoder : IFrameDecoder<ReadOnlyMemory<byte>>
{
    public int Decode(ReadOnlyMemory<byte> input, out ReadOnlyMemory<byte> frame)
    {
        frame = default;
        if (input.Length == 0 || input.Length < 1 + input.Span[0])
        {
            return 0;
        }

        frame = input.Slice(1, input.Span[0]);
        return 1 + frame.Length;
    }

    public void Reset()
    {
    }
}
