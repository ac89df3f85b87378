using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Testing;

/// <summary>
/// A server driver listening on a <see cref="TestNetwork"/>: its listen, connection, error and close events run as over
/// a real listener, and each <see cref="ConnectAsync"/> is a client arriving — under the server's limits, with TLS if its
/// options ask for it. Made by <see cref="TestNetwork.ListenAsync"/>.
/// </summary>
public sealed class TestServer
{
    private readonly TestNetwork _network;
    private int _nextPort = 50000;

    internal TestServer(TestNetwork network, TcpServer server)
    {
        _network = network;
        Server = server;
    }

    /// <summary>The server: <see cref="TcpServer.ClientCount"/>, <see cref="TcpServer.RejectedConnections"/>, <see cref="TcpServer.Close()"/>, ….</summary>
    public TcpServer Server { get; }

    /// <summary>
    /// A client connects: the server accepts it (its connection event runs, and the socket's events follow), or turns it
    /// away — over <see cref="TcpServerOptions.MaxConnections"/> or <see cref="TcpServerOptions.MaxConnectionsPerAddress"/>,
    /// paused, or closed — and the peer only sees its end (<see cref="TestPeer.WasTurnedAway"/>).
    /// </summary>
    /// <param name="from">The client's address, for per-address limits; 127.0.0.1 by default.</param>
    /// <returns>The client's end, once the server has accepted it (or turned it away).</returns>
    public Task<TestPeer> ConnectAsync(IPAddress? from = null)
    {
        var remote = new IPEndPoint(from ?? IPAddress.Loopback, Interlocked.Increment(ref _nextPort));
        return _network.AcceptOnServerAsync(this, remote);
    }

    /// <inheritdoc/>
    public override string ToString() => $"TestServer({Server})";
}
