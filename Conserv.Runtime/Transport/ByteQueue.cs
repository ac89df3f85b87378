using System;

namespace Conserv;

/// <summary>
/// A growable first-in first-out buffer of bytes: the TLS layer's ciphertext waiting for the kernel, one direction of an
/// in-memory connection. Not thread-safe.
/// </summary>
internal sealed class ByteQueue
{
    private byte[] _buffer = new byte[256];
    private int _start;
    private int _end;

    /// <summary>Bytes waiting to be taken.</summary>
    public int Length => _end - _start;

    /// <summary>Appends <paramref name="bytes"/>.</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (_end + bytes.Length > _buffer.Length)
        {
            // Move what is left to the front, and grow when that is not room enough.
            int length = Length;
            var target = length + bytes.Length > _buffer.Length
                ? new byte[Math.Max(_buffer.Length * 2, length + bytes.Length)]
                : _buffer;
            Buffer.BlockCopy(_buffer, _start, target, 0, length);
            (_buffer, _start, _end) = (target, 0, length);
        }

        bytes.CopyTo(_buffer.AsSpan(_end));
        _end += bytes.Length;
    }

    /// <summary>Moves up to <paramref name="destination"/>'s length into it; returns how many.</summary>
    public int Take(Span<byte> destination)
    {
        int count = Math.Min(destination.Length, Length);
        _buffer.AsSpan(_start, count).CopyTo(destination);
        Skip(count);
        return count;
    }

    /// <summary>Takes the first <paramref name="count"/> bytes as a new array.</summary>
    public byte[] Take(int count)
    {
        var taken = _buffer.AsSpan(_start, count).ToArray();
        Skip(count);
        return taken;
    }

    /// <summary>The index of the first <paramref name="value"/> among the waiting bytes, or -1.</summary>
    public int IndexOf(byte value) => _buffer.AsSpan(_start, Length).IndexOf(value);

    /// <summary>The bytes waiting, in order; valid until the next change.</summary>
    public ReadOnlySpan<byte> Pending => _buffer.AsSpan(_start, Length);

    /// <summary>Drops everything waiting.</summary>
    public void Clear() => _start = _end = 0;

    /// <summary>Drops the first <paramref name="count"/> bytes (they were sent).</summary>
    public void Skip(int count)
    {
        _start += count;
        if (_start == _end)
        {
            _start = _end = 0;
        }
    }
}
