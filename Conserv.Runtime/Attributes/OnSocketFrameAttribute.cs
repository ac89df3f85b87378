using System;

namespace Conserv;

/// <summary>
/// Marks the handler that receives the socket's input one frame at a time. Set exactly one of
/// <see cref="LengthPrefix"/> (<see cref="SocketFraming.LengthPrefixed"/>), <see cref="Delimiter"/>
/// (<see cref="SocketFraming.Delimited"/>) or <see cref="Decoder"/> (<see cref="SocketFraming.Decoder{TDecoder, TFrame}"/>).
/// </summary>
/// <remarks>
/// With <see cref="LengthPrefix"/> or <see cref="Delimiter"/>, bind the frame as bytes (<c>ReadOnlySpan&lt;byte&gt;</c>,
/// <c>ReadOnlyMemory&lt;byte&gt;</c>, <c>byte[]</c>, <c>ArraySegment&lt;byte&gt;</c>) or as text decoded with
/// <see cref="TcpSocket.ExternalFormatIn"/> (<c>string</c>, <c>ReadOnlySpan&lt;char&gt;</c>, <c>ReadOnlyMemory&lt;char&gt;</c>).
/// With <see cref="Decoder"/>, bind it as the decoder's frame type. A frame longer than <see cref="MaxLength"/> raises
/// <see cref="FrameTooLongException"/>; the stream ending inside a frame raises <see cref="System.IO.EndOfStreamException"/>.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class OnSocketFrameAttribute : Attribute
{
    /// <summary>The size of the length prefix before each frame: 1, 2, 4 or 8 bytes (0: not length-prefixed).</summary>
    public int LengthPrefix { get; set; }

    /// <summary>The byte order of the length prefix. Default: <see cref="Conserv.ByteOrder.BigEndian"/> (network order).</summary>
    public ByteOrder ByteOrder { get; set; } = ByteOrder.BigEndian;

    /// <summary>Whether the length prefix counts its own bytes too.</summary>
    public bool LengthIncludesPrefix { get; set; }

    /// <summary>
    /// The sequence that ends each frame, one byte per character (U+0000 to U+00FF), e.g. <c>"\0"</c> or
    /// <c>"\r\n\r\n"</c>; null: not delimited.
    /// </summary>
    public string? Delimiter { get; set; }

    /// <summary>
    /// A decoder type of your own: a class or struct implementing <see cref="IFrameDecoder{TFrame}"/> with a public
    /// parameterless constructor; one instance per socket. The handler takes its frame type.
    /// </summary>
    public Type? Decoder { get; set; }

    /// <summary>The longest frame accepted, in bytes (without prefix or delimiter). Default: 64 KiB.</summary>
    public int MaxLength { get; set; } = SocketFraming.DefaultMaxFrameLength;
}
