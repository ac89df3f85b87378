using System;
using System.Buffers;

namespace Conserv;

// Buffers every socket of the loop shares (one read is handled at a time on the loop thread), and the spare descriptor
// a server sheds clients with when descriptors run out.
public sealed partial class EventLoop
{
    private byte[]? _readBuffer;
    private char[] _charBuffer = Array.Empty<char>();

    // ---- buffers shared by all sockets of the loop -------------------------------------------------

    /// <summary>The descriptor the loop's servers keep in reserve to turn clients away when the process has none left.</summary>
    internal SpareDescriptor Spare => _spare ??= new SpareDescriptor();

    private SpareDescriptor? _spare;

    /// <summary>Free small output segments, kept for the sockets' next writes: at most one per event a poll returns.</summary>
    internal OutputSegmentPool OutputSegments { get; } = new(MaxEventsPerPoll);

    /// <summary>
    /// The loop's read buffer, at least <paramref name="minimumLength"/> long. Only one read is handled at a time,
    /// so all sockets share it: it grows to the largest read a bulk socket asks for, never one buffer per socket.
    /// </summary>
    internal byte[] ReadBuffer(int minimumLength)
    {
        if (_readBuffer is null || _readBuffer.Length < minimumLength)
        {
            if (_readBuffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_readBuffer);
            }

            _readBuffer = ArrayPool<byte>.Shared.Rent(minimumLength);
        }

        return _readBuffer;
    }

    /// <summary>Hands the read buffer to a socket whose async handler still uses it; the next read rents one of its own size.</summary>
    internal byte[] DetachReadBuffer()
    {
        var buffer = _readBuffer!;
        _readBuffer = null;
        return buffer;
    }

    internal char[] CharBuffer(int minimumLength)
    {
        if (_charBuffer.Length < minimumLength)
        {
            if (_charBuffer.Length > 0)
            {
                ArrayPool<char>.Shared.Return(_charBuffer);
            }

            _charBuffer = ArrayPool<char>.Shared.Rent(minimumLength);
        }

        return _charBuffer;
    }

    internal char[] DetachCharBuffer()
    {
        var buffer = _charBuffer;
        _charBuffer = Array.Empty<char>();
        return buffer;
    }
}
