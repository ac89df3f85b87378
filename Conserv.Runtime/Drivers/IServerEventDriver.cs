using System;
using System.Threading.Tasks;

namespace Conserv;

/// <summary>
/// The events of a server, as the runtime raises them. Every member runs on the server's event-loop
/// thread, with <see cref="TcpServer.Current"/> set to the server.
/// </summary>
/// <remarks>
/// Order: <see cref="OnServerListen"/>, then <see cref="OnServerConnection"/> for each accepted client,
/// then <see cref="OnServerClose"/>, exactly once and last (after every client's close).
/// <see cref="OnServerError"/> comes right before the server closes because of an error.
/// Every member has a default that does nothing.
/// </remarks>
public interface IServerEventDriver : IEventDriver
{
    /// <summary>The server has started listening.</summary>
    /// <param name="server">The server.</param>
    ValueTask OnServerListen(TcpServer server) => default;

    /// <summary>The server accepted <paramref name="client"/>. Runs before any event of the client; the
    /// handler may replace <see cref="TcpSocket.Driver"/>.</summary>
    /// <param name="server">The server.</param>
    /// <param name="client">The accepted socket, already in <see cref="TcpServer.Clients"/>.</param>
    ValueTask OnServerConnection(TcpServer server, TcpSocket client) => default;

    /// <summary>
    /// A server fault or a server handler's exception. Returns <see langword="true"/> if a handler took it.
    /// Either way the server and all its clients close afterwards.
    /// </summary>
    /// <param name="server">The server.</param>
    /// <param name="error">The exception, of its real type.</param>
    ValueTask<bool> OnServerError(TcpServer server, Exception error) => new(false);

    /// <summary>The server has closed, after all its clients. Runs exactly once, last.</summary>
    /// <param name="server">The server.</param>
    void OnServerClose(TcpServer server)
    {
    }
}
