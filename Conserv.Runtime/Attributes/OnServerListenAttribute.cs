using System;

namespace Conserv;

/// <summary>
/// Marks the handler that runs when a server has started listening.
/// </summary>
/// <remarks>Parameters may be: <see cref="TcpServer"/>.</remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class OnServerListenAttribute : Attribute
{
}
