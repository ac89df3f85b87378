using System;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Conserv.Samples.HostedEcho;

/// <summary>
/// Sends every byte it receives back. The host makes one per connection, from a new dependency-injection scope, so
/// its constructor takes services (here a logger) and its fields belong to that one connection.
/// </summary>
public sealed partial class EchoConnection(ILogger<EchoConnection> logger)
{
    private long _echoed;

    [OnSocketData]
    private void Echo(TcpSocket socket, ReadOnlySpan<byte> data)
    {
        socket.Write(data);
        _echoed += data.Length;
    }

    // A peer that resets its connection is normal life for a server: say so quietly and let it close.
    [OnSocketError(typeof(SocketException))]
    private void PeerGone(TcpSocket socket, SocketException error) =>
        logger.LogInformation("{Remote}: {Error}", socket.RemoteName, error.SocketErrorCode);

    // Runs last for each connection; afterwards the host disposes the connection's scope.
    [OnSocketClose]
    private void Closed(TcpSocket socket, Exception? cause) =>
        logger.LogDebug("{Remote} closed after {Bytes} bytes echoed ({Cause})", socket.RemoteName, _echoed, cause?.Message ?? "orderly");
}
