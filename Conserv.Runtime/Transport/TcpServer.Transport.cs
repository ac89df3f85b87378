using System;
using System.Net;
using System.Text;

namespace Conserv;

// A server whose listener is not the kernel's: the in-memory network of Conserv.Testing opens one, and hands it each
// connection its peer makes. Everything after the accept — limits, TLS, the connection event, the clients' events,
// closing and draining — is the same code as for a listening socket.
public sealed partial class TcpServer
{
    /// <summary>
    /// A server on <paramref name="loop"/> with no listening descriptor, for connections made in memory
    /// (<see cref="AcceptOverTransport"/>). Its listen event runs on the loop's next turn, as <see cref="Listen(IEventDriver, string, int, ExternalFormat, ExternalFormat, EventLoop?, TcpServerOptions?)"/>'s does.
    /// </summary>
    internal static TcpServer ListenOverTransport(EventLoop loop, IEventDriver driver, IPAddress address, int port,
        Encoding? formatIn, Encoding? formatOut, TcpServerOptions options) =>
        Start(new TcpServer(loop, driver, -1, address, port, null, formatIn, formatOut, options));

    /// <summary>
    /// Accepts a connection made in memory, as the accept loop accepts one from the kernel: under the server's limits
    /// (null when it is turned away, or when the server is not listening or is paused), then TLS and the connection
    /// event. Loop thread only.
    /// </summary>
    internal TcpSocket? AcceptOverTransport(Func<TcpSocket, SocketTransport> createTransport, IPAddress remoteAddress, int remotePort)
    {
        _loop.AssertLoopThread();
        if (_state != ServerState.Listening || _paused || !Admit(remoteAddress))
        {
            return null;
        }

        var client = TcpSocket.Accepted(_loop, this, createTransport, remoteAddress, remotePort, _options);
        AdoptClient(client);
        return client;
    }
}
