using System;

namespace Conserv;

/// <summary>
/// Marks the handler that receives data read from a socket.
/// </summary>
/// <remarks>Bind the data as <c>ReadOnlySpan&lt;byte&gt;</c>, <c>ReadOnlyMemory&lt;byte&gt;</c> or <c>byte[]</c> to receive raw bytes (used when the socket's <see cref="TcpSocket.ExternalFormatIn"/> is null, or when the driver has no text handler), or as <c>string</c>, <c>ReadOnlySpan&lt;char&gt;</c> or <c>ReadOnlyMemory&lt;char&gt;</c> to receive text decoded with <see cref="TcpSocket.ExternalFormatIn"/>. A driver may declare one byte handler and one text handler. An async data handler pauses the socket's reads until its task completes.</remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class OnSocketDataAttribute : Attribute
{
}
