using System;

namespace Conserv;

/// <summary>
/// Marks the handler that runs when the peer has closed its sending side (end of file).
/// </summary>
/// <remarks>After the handler returns, the socket sends what is still queued and closes, unless the socket was opened with <see cref="TcpSocketOptions.AllowHalfOpen"/>.</remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class OnSocketEndOfFileAttribute : Attribute
{
}
