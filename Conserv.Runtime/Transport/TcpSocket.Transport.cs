using System;
using System.Net;
using System.Text;
using Conserv.Interop;

namespace Conserv;

// Sockets over a transport other than the kernel's (the in-memory one of Conserv.Testing): the same state machine,
// started as an accepted socket or as a client whose connect completes when the transport reports writability.
public sealed partial class TcpSocket
{
    /// <summary>The kernel's descriptor of the connection; null over another transport or once closed. For tests.</summary>
    internal int? KernelDescriptor => (_transport as EpollTransport)?.Descriptor;

    /// <summary>
    /// A socket on <paramref name="loop"/> over the transport <paramref name="createTransport"/> makes for it.
    /// Accepted (<paramref name="connecting"/> false): open at once, as a server's client is. Connecting: its connect
    /// time-out runs and its connect completes (or fails, by the transport's pending error) when the transport
    /// reports EPOLLOUT, as a kernel socket's does. Loop thread only.
    /// </summary>
    internal static TcpSocket OverTransport(EventLoop loop, ISocketEventDriver driver, Func<TcpSocket, SocketTransport> createTransport,
        bool connecting, TcpSocketOptions? options, Encoding? formatIn, Encoding? formatOut, IPAddress remoteAddress, int remotePort,
        System.Net.Security.SslServerAuthenticationOptions? serverTls = null, System.Net.Security.SslClientAuthenticationOptions? clientTls = null)
    {
        loop.AssertLoopThread();
        var socket = new TcpSocket(loop, driver, null, options, formatIn, formatOut, remoteAddress.ToString(), null)
        {
            _remoteAddress = remoteAddress,
            _remotePort = remotePort,
            _clientTls = clientTls,
        };
        socket._transport = createTransport(socket);
        loop.Track(socket);
        if (connecting)
        {
            socket._state = SocketState.Connecting;
            socket.StartConnectTimer();
            socket._transport.SetInterest(Libc.EPOLLOUT, hungUp: false);
            return socket;
        }

        socket._state = SocketState.Open;
        socket._transport.GetLocalEndPoint(out socket._localAddress, out socket._localPort);
        socket.CountOpened();
        socket.UpdateInterest();
        socket.StartIdleTimer();
        if (serverTls is not null)
        {
            socket.StartServerTls(serverTls);
        }

        return socket;
    }
}
