using System;
using System.Threading.Tasks;

namespace Conserv;

/// <summary>
/// The events of a socket, as the runtime raises them. Every member runs on the socket's event-loop
/// thread, with <see cref="TcpSocket.Current"/> set to the socket.
/// </summary>
/// <remarks>
/// <para>The source generator implements this interface for a <c>partial class</c> with attributed
/// handlers. A hand-written driver implements it directly; every member has a default that does
/// nothing (and <see cref="OnSocketError"/>'s default leaves the error unhandled, which drops the connection).</para>
/// <para>Order per socket: <see cref="OnSocketConnect"/> (client sockets only), then data events, then
/// <see cref="OnSocketEndOfFile"/> if the peer ends its side, then <see cref="OnSocketClose"/>, exactly
/// once and always last. <see cref="OnSocketError"/> may come at any point before the close.</para>
/// <para>A returned <see cref="ValueTask"/> that has not completed is awaited on the loop: a data
/// event's task pauses the socket's reads until it completes, and a faulted task goes to error dispatch.</para>
/// </remarks>
public interface ISocketEventDriver : IEventDriver
{
    /// <summary>Which events this driver handles; read once when the driver is attached to a socket.</summary>
    SocketDriverFeatures Features => SocketDriverFeatures.ByteData | SocketDriverFeatures.OutputEmpty;

    /// <summary>
    /// How the socket's input is cut into frames, or null (the default) for data as it is read. With a framing,
    /// <see cref="OnSocketData"/> and <see cref="OnSocketText"/> receive one frame per call (and an
    /// <see cref="IFrameDriver{TFrame}"/> its decoder's frames). Read on the loop thread when the driver first
    /// receives data on a socket; return the same shared instance every time.
    /// </summary>
    SocketFraming? Framing => null;

    /// <summary>A client socket's connection has been established.</summary>
    /// <param name="socket">The socket.</param>
    ValueTask OnSocketConnect(TcpSocket socket) => default;

    /// <summary>Raw bytes were read (one frame of them, with a <see cref="Framing"/>). Called when <see cref="Features"/> has <see cref="SocketDriverFeatures.ByteData"/> and
    /// either the socket has no input format or the driver takes no text.</summary>
    /// <param name="socket">The socket.</param>
    /// <param name="data">The bytes read. Valid until the returned task completes; copy them to keep them longer.</param>
    ValueTask OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data) => default;

    /// <summary>Text was read (one frame of it, decoded on its own, with a <see cref="Framing"/>) and decoded with <see cref="TcpSocket.ExternalFormatIn"/> by a stateful decoder,
    /// so a character split across reads arrives whole. Called when <see cref="Features"/> has
    /// <see cref="SocketDriverFeatures.TextData"/> and the socket has an input format.</summary>
    /// <param name="socket">The socket.</param>
    /// <param name="text">The characters decoded. Valid until the returned task completes.</param>
    ValueTask OnSocketText(TcpSocket socket, ReadOnlyMemory<char> text) => default;

    /// <summary>The peer closed its sending side.</summary>
    /// <param name="socket">The socket.</param>
    ValueTask OnSocketEndOfFile(TcpSocket socket) => default;

    /// <summary>Everything written so far has been handed to the kernel.</summary>
    /// <param name="socket">The socket.</param>
    ValueTask OnSocketOutputEmpty(TcpSocket socket) => default;

    /// <summary>
    /// An error happened on the socket. Returns <see langword="true"/> if a handler took it,
    /// <see langword="false"/> if none matched (the runtime then drops the connection).
    /// A handler may call <see cref="SocketEvents.DropConnection(Exception?)"/> to drop the connection.
    /// </summary>
    /// <param name="socket">The socket.</param>
    /// <param name="error">The exception, of its real type.</param>
    ValueTask<bool> OnSocketError(TcpSocket socket, Exception error) => new(false);

    /// <summary>The socket has closed. Runs exactly once, after every other event of the socket.</summary>
    /// <param name="socket">The socket.</param>
    /// <param name="cause">The error that closed the socket, or <see langword="null"/> for an orderly close.</param>
    void OnSocketClose(TcpSocket socket, Exception? cause)
    {
    }
}
