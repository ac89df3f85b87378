using System;
using System.Buffers;

namespace Conserv;

/// <summary>
/// A growable first-in first-out buffer of bytes: the TLS layer's ciphertext waiting for the kernel, one direction of an
/// in-memory connection. Its array comes from the shared pool and goes back as soon as the queue is empty, so an idle
/// connection holds none. Not thread-safe.
/// </summary>
internal sealed class ByteQueue
{
    private const int SmallestArray = 256;

    private byte[] _buffer = Array.Empty<byte>();
    private int _start;
    private int _end;

    /// <summary>Bytes waiting to be taken.</summary>
    public int Length => _end - _start;

    /// <summary>The length of the array held (for tests: zero once the queue is empty).</summary>
    internal int Capacity => _buffer.Length;

    /// <summary>Appends <paramref name="bytes"/>.</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        if (_end + bytes.Length > _buffer.Length)
        {
            // Move what is left to the front of a large enough array (the same one, when it is).
            int length = Length;
            var target = length + bytes.Length > _buffer.Length
                ? ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(_buffer.Length * 2, length + bytes.Length), SmallestArray))
                : _buffer;
            Buffer.BlockCopy(_buffer, _start, target, 0, length);
            if (!ReferenceEquals(target, _buffer))
            {
                ReturnArray();
            }

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
    public void Clear() => Skip(Length);

    /// <summary>Drops the first <paramref name="count"/> bytes (they were sent).</summary>
    public void Skip(int count)
    {
        _start += count;
        if (_start == _end)
        {
            ReturnArray(); // empty: an idle connection keeps no array
            (_buffer, _start, _end) = (Array.Empty<byte>(), 0, 0);
        }
    }

    private void ReturnArray()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
    }
}
