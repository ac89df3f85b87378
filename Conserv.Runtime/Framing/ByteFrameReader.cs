using System;
using System.IO;

namespace Conserv;

/// <summary>
/// The reader of the built-in framings (lines, delimiters, length prefixes): each finds frame boundaries in bytes
/// and the socket delivers the frame as bytes or as text. Over-long frames are reported once and skipped, so the
/// stream stays in step and the next frame is delivered if the driver handled the error.
/// </summary>
internal abstract class ByteFrameReader : FrameReader
{
    protected ByteFrameReader(TcpSocket socket, int maxLength)
        : base(socket, maxLength)
    {
    }

    /// <summary>What <see cref="Find"/> found.</summary>
    protected enum Found : byte
    {
        /// <summary>No whole frame yet.</summary>
        NeedMore,

        /// <summary>A frame: <c>input[start..start+length]</c>, taking <c>consumed</c> bytes with its terminator or prefix.</summary>
        Frame,

        /// <summary>The frame is over-long: report it once, then skip <c>consumed</c> bytes.</summary>
        TooLong,

        /// <summary>Skip <c>consumed</c> bytes of an over-long frame already reported.</summary>
        Skip,
    }

    /// <summary>Whether text frames need an encoding in which <c>\n</c> is one byte of its own (line framing).</summary>
    protected virtual bool NeedsAsciiCompatibleText => false;

    /// <summary>Finds the frame at the start of <paramref name="input"/>.</summary>
    protected abstract Found Find(ReadOnlySpan<byte> input, out int start, out int length, out int consumed);

    /// <summary>The declared length of the frame just found too long, when known.</summary>
    protected virtual long? TooLongLength => null;

    /// <summary>At end of file: whether <paramref name="rest"/> is a frame after all (a last unterminated line).</summary>
    protected virtual bool IsFinalFrame(ReadOnlySpan<byte> rest, out int length)
    {
        length = 0;
        return false;
    }

    protected sealed override Step DecodeAndDeliver(ReadOnlyMemory<byte> input, out int consumed)
    {
        Found found;
        int start;
        int length;
        try
        {
            found = Find(input.Span, out start, out length, out consumed);
        }
        catch (InvalidDataException e)
        {
            consumed = 0;
            Socket.RaiseError(e, fatal: false);
            return Step.Failed;
        }

        switch (found)
        {
            case Found.Frame:
                Socket.DeliverByteFrame(input.Slice(start, length), NeedsAsciiCompatibleText);
                return Step.Consumed;
            case Found.TooLong:
                Socket.RaiseError(new FrameTooLongException(MaxLength, TooLongLength), fatal: false);
                return Step.Consumed;
            case Found.Skip:
                return Step.Consumed;
            default:
                return Step.NeedMore;
        }
    }

    protected sealed override void OnEndOfInput(ReadOnlyMemory<byte> rest)
    {
        if (IsFinalFrame(rest.Span, out int length))
        {
            Socket.DeliverByteFrame(rest.Slice(0, length), NeedsAsciiCompatibleText);
            return;
        }

        Socket.RaiseError(Truncated(rest.Length), fatal: false);
    }

    /// <summary>The error for a stream that ended <paramref name="count"/> bytes into a frame.</summary>
    internal static EndOfStreamException Truncated(int count) =>
        new($"The stream ended inside a frame: the {count} bytes received of it were discarded.");
}
