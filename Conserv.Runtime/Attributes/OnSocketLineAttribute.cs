using System;

namespace Conserv;

/// <summary>
/// Marks the handler that receives the socket's input one line at a time, without its terminator
/// (<see cref="SocketFraming.Lines"/>).
/// </summary>
/// <remarks>
/// Bind the line as <c>string</c>, <c>ReadOnlySpan&lt;char&gt;</c> or <c>ReadOnlyMemory&lt;char&gt;</c> (decoded with
/// <see cref="TcpSocket.ExternalFormatIn"/>, each line on its own) or as <c>ReadOnlySpan&lt;byte&gt;</c>,
/// <c>ReadOnlyMemory&lt;byte&gt;</c>, <c>byte[]</c> or <c>ArraySegment&lt;byte&gt;</c>. A driver may declare one text and one
/// byte line handler (as with <see cref="OnSocketDataAttribute"/>), but no <see cref="OnSocketDataAttribute"/> or
/// <see cref="OnSocketFrameAttribute"/> handler beside them. A line longer than <see cref="MaxLength"/> raises
/// <see cref="FrameTooLongException"/> through error dispatch; at end of file an unterminated last line is delivered too.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class OnSocketLineAttribute : Attribute
{
    /// <summary>The longest line accepted, in bytes, without its terminator. Default: 8 KiB.</summary>
    public int MaxLength { get; set; } = SocketFraming.DefaultMaxLineLength;

    /// <summary>Which terminators end a line. Default: <see cref="LineEnding.Any"/> (<c>\n</c> or <c>\r\n</c>).</summary>
    public LineEnding Ending { get; set; } = LineEnding.Any;
}
