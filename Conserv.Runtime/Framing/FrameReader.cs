using System;
using System.Buffers;

namespace Conserv;

/// <summary>
/// One socket's framing state: cuts reads into frames and hands each to the socket for delivery. The bytes of a
/// partial frame wait in a pooled buffer of the socket's own (released whenever it empties, so an idle connection
/// holds none); everything else is decoded where it was read, in the loop's shared read buffer.
/// </summary>
/// <remarks>
/// A read that completes a buffered partial frame is appended to the buffer in growing steps, not whole: once the
/// partial frame is complete, what follows it is decoded in the read buffer again, so at most about twice the
/// partial frame is copied.
/// </remarks>
internal abstract class FrameReader
{
    private const int MinimumAppend = 4096;

    private byte[]? _buffer;
    private int _start;
    private int _end;

    protected FrameReader(TcpSocket socket, int maxLength)
    {
        Socket = socket;
        MaxLength = maxLength;
    }

    /// <summary>What one decoding step did.</summary>
    protected enum Step : byte
    {
        /// <summary>The input holds no whole frame yet.</summary>
        NeedMore,

        /// <summary>Bytes were consumed: a frame was delivered, or an over-long frame (or part of it) skipped.</summary>
        Consumed,

        /// <summary>The decoder failed; the error went to dispatch. Everything buffered is discarded.</summary>
        Failed,
    }

    private enum Drain : byte
    {
        /// <summary>The buffer holds a partial frame.</summary>
        NeedMore,

        /// <summary>The buffer was emptied; decoding goes on in the read buffer.</summary>
        Emptied,

        /// <summary>Delivery stopped (pause, async handler, water mark, close) with input left.</summary>
        Stopped,

        /// <summary>The decoder failed: the rest of the input is discarded.</summary>
        Failed,
    }

    protected TcpSocket Socket { get; }

    protected int MaxLength { get; }

    /// <summary>Whether bytes wait in the socket's own buffer (a partial frame, or frames whose delivery stopped).</summary>
    public bool HasBuffered => _end > _start;

    /// <summary>Set when delivery stopped with bytes buffered: the socket resumes it once it can deliver again.</summary>
    public bool Stalled { get; private set; }

    /// <summary>How many bytes wait in the buffer (for tests: what a skipped over-long frame keeps).</summary>
    internal int BufferedCount => _end - _start;

    /// <summary>The length of the pooled buffer held, zero when none (for tests: how far it grew; an idle connection holds none).</summary>
    internal int BufferCapacity => _buffer?.Length ?? 0;

    /// <summary>Decodes the frame at the start of <paramref name="input"/> and delivers it; reports what it consumed.</summary>
    protected abstract Step DecodeAndDeliver(ReadOnlyMemory<byte> input, out int consumed);

    /// <summary>At end of file, with <paramref name="rest"/> (a partial frame) left over: deliver it or report the truncation.</summary>
    protected abstract void OnEndOfInput(ReadOnlyMemory<byte> rest);

    /// <summary>Forgets partial decoding state (the buffered input is being discarded).</summary>
    protected abstract void ResetDecoder();

    /// <summary>Delivers the frames of a fresh read of <paramref name="count"/> bytes in the loop's read buffer <paramref name="read"/>.</summary>
    public void OnRead(byte[] read, int count)
    {
        int offset = 0;
        while (HasBuffered)
        {
            if (offset == count)
            {
                return;
            }

            int step = Math.Min(count - offset, Math.Max(_end - _start, MinimumAppend));
            Append(read.AsSpan(offset, step));
            offset += step;
            switch (DrainBuffer(step, out int rewind))
            {
                case Drain.NeedMore:
                    continue;
                case Drain.Emptied:
                    offset -= rewind;
                    break;
                case Drain.Stopped:
                    Append(read.AsSpan(offset, count - offset));
                    Stalled = true;
                    return;
                default:
                    return;
            }
        }

        DrainRead(read, offset, count);
    }

    /// <summary>Delivers buffered frames after delivery stopped; called by the loop once the socket can deliver again.</summary>
    public void Resume()
    {
        Stalled = false;
        if (HasBuffered && DrainBuffer(0, out _) == Drain.Stopped)
        {
            Stalled = true;
        }
    }

    /// <summary>The stream ended: a partial frame left over is delivered or reported.</summary>
    public void OnEndOfFile()
    {
        if (!HasBuffered)
        {
            return;
        }

        OnEndOfInput(_buffer.AsMemory(_start, _end - _start));
        if (Socket.HandlerHoldsInput)
        {
            HandOverBuffer(); // an async handler took the last line
        }

        Release();
    }

    /// <summary>Gives the buffer back to the pool (the socket closed).</summary>
    public void Release()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }

        _start = _end = 0;
    }

    /// <summary>A copy of what is buffered, or null; the buffer is released (the socket's new driver has no framing).</summary>
    public byte[]? TakeBuffered()
    {
        byte[]? copy = HasBuffered ? _buffer.AsSpan(_start, _end - _start).ToArray() : null;
        Release();
        return copy;
    }

    /// <summary>Takes over what <paramref name="previous"/> buffered (the socket's driver was replaced), so no byte is lost.</summary>
    public void Adopt(FrameReader previous)
    {
        if (previous.HasBuffered)
        {
            Append(previous._buffer.AsSpan(previous._start, previous._end - previous._start));
            Stalled = true;
        }

        previous.Release();
    }

    /// <summary>Decodes frames in the buffer. <paramref name="tail"/>: how many of its last bytes were just appended from the read.</summary>
    private Drain DrainBuffer(int tail, out int rewind)
    {
        rewind = 0;
        while (true)
        {
            if (!Socket.CanDeliverFrames)
            {
                return Drain.Stopped;
            }

            var step = DecodeAndDeliver(_buffer.AsMemory(_start, _end - _start), out int consumed);
            if (step == Step.Failed)
            {
                Discard();
                return Drain.Failed;
            }

            if (step == Step.NeedMore)
            {
                return Drain.NeedMore;
            }

            _start += consumed;
            if (Socket.HandlerHoldsInput)
            {
                HandOverBuffer(); // the async handler's frame lives in this array
                return HasBuffered ? Drain.Stopped : Drain.Emptied;
            }

            int left = _end - _start;
            if (left == 0)
            {
                Release();
                return Drain.Emptied;
            }

            if (left <= tail && Socket.CanDeliverFrames)
            {
                // What is left came from the read just appended: decode it there, uncopied.
                rewind = left;
                Release();
                return Drain.Emptied;
            }
        }
    }

    /// <summary>Decodes frames in the read buffer from <paramref name="offset"/>; keeps what is left.</summary>
    private void DrainRead(byte[] read, int offset, int count)
    {
        var memory = read.AsMemory(0, count);
        while (offset < count)
        {
            if (!Socket.CanDeliverFrames)
            {
                Append(read.AsSpan(offset, count - offset));
                Stalled = true;
                return;
            }

            var step = DecodeAndDeliver(memory.Slice(offset), out int consumed);
            if (step == Step.Failed)
            {
                ResetDecoder();
                return;
            }

            if (step == Step.NeedMore)
            {
                Append(read.AsSpan(offset, count - offset));
                return;
            }

            offset += consumed;
            if (Socket.HandlerHoldsInput)
            {
                Append(read.AsSpan(offset, count - offset));
                Stalled = HasBuffered;
                Socket.HoldInput(Socket.Loop.DetachReadBuffer());
                return;
            }
        }
    }

    /// <summary>An async handler holds a frame in the buffer: the array goes with it, and what is left moves to a new one.</summary>
    private void HandOverBuffer()
    {
        var held = _buffer!;
        int start = _start;
        int end = _end;
        _buffer = null;
        _start = _end = 0;
        if (end > start)
        {
            Append(held.AsSpan(start, end - start));
        }

        Socket.HoldInput(held);
    }

    private void Discard()
    {
        ResetDecoder();
        Release();
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        int length = _end - _start;
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(bytes.Length, MinimumAppend));
        }
        else if (_buffer.Length - _end < bytes.Length)
        {
            long needed = (long)length + bytes.Length;
            if (needed <= _buffer.Length && _start > 0)
            {
                _buffer.AsSpan(_start, length).CopyTo(_buffer); // room enough once the consumed front is reclaimed
            }
            else
            {
                var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(needed, 2L * _buffer.Length), Array.MaxLength));
                _buffer.AsSpan(_start, length).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = grown;
            }

            _start = 0;
            _end = length;
        }

        bytes.CopyTo(_buffer.AsSpan(_end));
        _end += bytes.Length;
    }
}
