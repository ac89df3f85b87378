using System;

namespace Conserv;

/// <summary>
/// Marks the handler that runs once a client socket's connection is established.
/// </summary>
/// <remarks>Runs after the non-blocking connect has really completed, before any data event. Never runs for sockets accepted by a server. Parameters may be, in any order: <see cref="TcpSocket"/>, and a <see cref="System.Threading.CancellationToken"/> for an async handler.</remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class OnSocketConnectAttribute : Attribute
{
}
