using System;

namespace Conserv;

/// <summary>
/// Marks the handler that runs when a server has accepted a new client socket.
/// </summary>
/// <remarks>Runs before any event of the new socket; the server's <see cref="TcpServer.Clients"/> already includes it. The handler may replace <see cref="TcpSocket.Driver"/>. Parameters may be, in any order: <see cref="TcpServer"/> and <see cref="TcpSocket"/> (the new client).</remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class OnServerConnectionAttribute : Attribute
{
}
