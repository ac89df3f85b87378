using System;

namespace Conserv;

/// <summary>
/// Marks the handler that runs exactly once, last, when a socket has closed.
/// </summary>
/// <remarks>The handler may take an <c>Exception?</c>: the error that closed the socket, or null for an orderly close.</remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class OnSocketCloseAttribute : Attribute
{
}
