using System;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Conserv.Samples.Echo;

/// <summary>Sends every byte it receives back to the sender.</summary>
public sealed partial class EchoDriver
{
    // Raw bytes: no decoding, no allocation. Writes queue and go to the kernel in one system call when the handler returns.
    [OnSocketData]
    private static void Echo(TcpSocket socket, ReadOnlySpan<byte> data) => socket.Write(data);

    // A peer that resets its connection is normal life for a server: say so quietly and let it close.
    [OnSocketError(typeof(SocketException))]
    private static void PeerGone(TcpSocket socket, SocketException error) =>
        Console.WriteLine($"{socket.RemoteName}: {error.SocketErrorCode}");

    // With --tls: a client that does not speak TLS, or refuses the certificate, fails the handshake. Routine for a
    // server (the connection closes; nothing was read from it), so one quiet line instead of a stack trace.
    [OnSocketError(typeof(AuthenticationException))]
    private static void HandshakeFailed(TcpSocket socket, AuthenticationException error) =>
        Console.WriteLine($"{socket.RemoteName}: TLS handshake failed: {error.Message}");

    // A server error. Running out of file descriptors is not fatal: it is reported here, waiting clients are
    // turned away, and accepting resumes by itself while every connected client goes on. Only a fault of the
    // listener itself closes the server (and then its clients, and the program ends).
    [OnServerError]
    private static void ServerError(TcpServer server, Exception error) =>
        Console.Error.WriteLine($"server error on {server}: {error.Message}");

    // Runs last, after every client's close: on Ctrl+C or SIGTERM too, since the loop stops gracefully.
    [OnServerClose]
    private static void ServerClosed(TcpServer server) => Console.WriteLine($"server {server} closed");

    // Anything else is unexpected: log it and drop that one connection (the others are not affected).
    [OnSocketError]
    private static void Unexpected(TcpSocket socket, Exception error)
    {
        Console.Error.WriteLine($"{socket.RemoteName}: {error}");
        SocketEvents.DropConnection(error);
    }
}
