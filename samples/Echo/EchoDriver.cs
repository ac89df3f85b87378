using System;
using System.Net.Sockets;

namespace Conserv.Samples.Echo;

/// <summary>Sends every byte it receives back to the sender.</summary>
public sealed partial class EchoDriver
{
    // Raw bytes: no decoding, no allocation. Writes queue; what the kernel takes at once is sent at once.
    [OnSocketData]
    private static void Echo(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write(data);

    // A peer that resets its connection is normal life for a server: say so quietly and let it close.
    [OnSocketError(typeof(SocketException))]
    private static void PeerGone(TcpSocket socket, SocketException error) =>
        Console.WriteLine($"{socket.RemoteName}: {error.SocketErrorCode}");

    // A fault of the listener itself (accept failing, say for want of file descriptors): the server and
    // all its clients close after this handler, and the program ends.
    [OnServerError]
    private static void ListenerFault(TcpServer server, Exception error) =>
        Console.Error.WriteLine($"server fault on {server}: {error.Message}");

    // Anything else is unexpected: log it and drop that one connection (the others are not affected).
    [OnSocketError]
    private static void Unexpected(TcpSocket socket, Exception error)
    {
        Console.Error.WriteLine($"{socket.RemoteName}: {error}");
        SocketEvents.DropConnection(error);
    }
}
