using System;

namespace Conserv;

/// <summary>
/// Marks the handler that runs exactly once, last, after a server and all its clients have closed.
/// </summary>
/// <remarks>Parameters may be: <see cref="TcpServer"/>.</remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class OnServerCloseAttribute : Attribute
{
}
