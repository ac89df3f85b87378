using System;

namespace Conserv;

/// <summary>
/// How a socket's byte stream is cut into frames, so a driver receives one line or one message per handler call
/// instead of whatever each read happened to return. A driver names its framing through
/// <see cref="ISocketEventDriver.Framing"/>; the source generator does it for <see cref="OnSocketLineAttribute"/> and
/// <see cref="OnSocketFrameAttribute"/>. One instance describes the framing and is shared by every socket; each
/// socket keeps its own state.
/// </summary>
/// <remarks>
/// <para>With a framing, <see cref="ISocketEventDriver.OnSocketData"/> receives one frame per call (bytes, without
/// terminator or prefix), <see cref="ISocketEventDriver.OnSocketText"/> one frame decoded with
/// <see cref="TcpSocket.ExternalFormatIn"/> (a decoding error affects only that frame), and
/// <see cref="IFrameDriver{TFrame}.OnSocketFrame"/> one decoder frame.</para>
/// <para>Frames split across reads are joined; frames inside one read are delivered from the read buffer without a
/// copy. A socket buffers at most one partial frame (at most <see cref="MaxLength"/>) plus, while delivery is
/// stopped, the rest of one read. <see cref="TcpSocket.Pause"/>, an async handler and the output water marks stop
/// delivery between frames, and it resumes with the next buffered frame. An exception thrown by a frame's handler
/// goes to error dispatch; if handled, the next frame follows.</para>
/// </remarks>
public abstract class SocketFraming
{
    /// <summary>The default maximum line length: 8 KiB.</summary>
    public const int DefaultMaxLineLength = 8 * 1024;

    /// <summary>The default maximum frame length of the other framings: 64 KiB.</summary>
    public const int DefaultMaxFrameLength = 64 * 1024;

    /// <summary>The largest <see cref="MaxLength"/> a framing may have: 1 GiB (a partial frame and one read must fit in one array).</summary>
    public const int LargestMaxLength = 1 << 30;

    private protected SocketFraming(int maxLength)
    {
        if (maxLength < 1 || maxLength > LargestMaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"The maximum frame length must be between 1 and {LargestMaxLength} bytes (1 GiB).");
        }

        MaxLength = maxLength;
    }

    /// <summary>The longest frame accepted, in bytes (for lines: without the terminator; for length-prefixed frames: without the prefix).</summary>
    public int MaxLength { get; }

    /// <summary>Lines ended by <c>\n</c> (and <c>\r\n</c>, as <paramref name="ending"/> says), delivered without the terminator.</summary>
    /// <param name="maxLength">The longest line accepted, in bytes, without its terminator.</param>
    /// <param name="ending">Which terminators end a line.</param>
    /// <returns>The framing.</returns>
    /// <remarks>At end of file an unterminated last line is delivered too. Text lines need an input format in which
    /// <c>\n</c> is the byte 0x0A and never part of another character: UTF-8, ASCII, Latin-1 or any other single-byte encoding.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is less than 1, or <paramref name="ending"/> is not a defined value.</exception>
    public static SocketFraming Lines(int maxLength = DefaultMaxLineLength, LineEnding ending = LineEnding.Any) => new LineFraming(maxLength, ending);

    /// <summary>Frames ended by a delimiter, delivered without it.</summary>
    /// <param name="delimiter">The byte sequence that ends a frame (copied).</param>
    /// <param name="maxLength">The longest frame accepted, in bytes, without the delimiter.</param>
    /// <returns>The framing.</returns>
    /// <exception cref="ArgumentException"><paramref name="delimiter"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="delimiter"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is less than 1.</exception>
    public static SocketFraming Delimited(byte[] delimiter, int maxLength = DefaultMaxFrameLength) => new DelimiterFraming(delimiter, maxLength);

    /// <summary>Frames preceded by their length as an unsigned integer of 1, 2, 4 or 8 bytes; delivered without the prefix.</summary>
    /// <param name="prefixLength">The size of the length prefix: 1, 2, 4 or 8 bytes.</param>
    /// <param name="byteOrder">The prefix's byte order.</param>
    /// <param name="lengthIncludesPrefix">Whether the length counts the prefix's own bytes too.</param>
    /// <param name="maxLength">The longest frame accepted, in bytes, without the prefix. A longer frame is refused as soon as its prefix arrives.</param>
    /// <returns>The framing.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="prefixLength"/> is not 1, 2, 4 or 8; <paramref name="byteOrder"/> is not defined; or <paramref name="maxLength"/> is less than 1.</exception>
    public static SocketFraming LengthPrefixed(int prefixLength, ByteOrder byteOrder = ByteOrder.BigEndian, bool lengthIncludesPrefix = false, int maxLength = DefaultMaxFrameLength) =>
        new LengthPrefixFraming(prefixLength, byteOrder, lengthIncludesPrefix, maxLength);

    /// <summary>Frames decoded by a decoder of your own, one new instance per socket; the driver implements <see cref="IFrameDriver{TFrame}"/>.</summary>
    /// <typeparam name="TDecoder">The decoder.</typeparam>
    /// <typeparam name="TFrame">Its frame type.</typeparam>
    /// <param name="maxLength">The most input a frame may take; beyond it without a frame, <see cref="FrameTooLongException"/>.</param>
    /// <returns>The framing.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is less than 1.</exception>
    public static SocketFraming Decoder<TDecoder, TFrame>(int maxLength = DefaultMaxFrameLength)
        where TDecoder : IFrameDecoder<TFrame>, new() =>
        new DecoderFraming<TFrame>(static () => new TDecoder(), maxLength);

    /// <summary>Frames decoded by decoders <paramref name="createDecoder"/> makes, one per socket; the driver implements <see cref="IFrameDriver{TFrame}"/>.</summary>
    /// <typeparam name="TFrame">The frame type.</typeparam>
    /// <param name="createDecoder">Makes the decoder of one socket.</param>
    /// <param name="maxLength">The most input a frame may take; beyond it without a frame, <see cref="FrameTooLongException"/>.</param>
    /// <returns>The framing.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="createDecoder"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is less than 1.</exception>
    public static SocketFraming Decoder<TFrame>(Func<IFrameDecoder<TFrame>> createDecoder, int maxLength = DefaultMaxFrameLength) =>
        new DecoderFraming<TFrame>(createDecoder ?? throw new ArgumentNullException(nameof(createDecoder)), maxLength);

    /// <summary>Makes the per-socket state of this framing for <paramref name="socket"/>, whose driver is <paramref name="driver"/>.</summary>
    internal abstract FrameReader CreateReader(TcpSocket socket, ISocketEventDriver driver);
}
