using System.IO;

namespace Conserv;

/// <summary>
/// A frame is longer than its framing's maximum length (<see cref="SocketFraming.MaxLength"/>). Raised through
/// the socket's error dispatch before the frame is buffered whole, so a peer cannot make the socket hold more
/// than the maximum. Unhandled, it drops the connection; handled, the over-long frame is skipped and the next
/// frame is delivered (for a decoder of the driver's own, the buffered input is discarded and the decoder reset).
/// </summary>
public class FrameTooLongException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="maxLength">The framing's maximum frame length.</param>
    /// <param name="length">The frame's length when its header told it, otherwise null (the frame was already longer than the maximum).</param>
    public FrameTooLongException(int maxLength, long? length)
        : base(length is { } known
            ? $"A frame of {known} bytes is longer than the maximum of {maxLength} bytes."
            : $"A frame is longer than the maximum of {maxLength} bytes.")
    {
        MaxLength = maxLength;
        Length = length;
    }

    /// <summary>The framing's maximum frame length, in bytes.</summary>
    public int MaxLength { get; }

    /// <summary>The frame's declared length (length-prefixed framing), or null when only "longer than the maximum" is known.</summary>
    public long? Length { get; }
}
