using System;
using System.Buffers;

namespace Conserv;

/// <summary>
/// What a socket wrote that the kernel has not taken yet: a ring of pooled segments, drained on writability.
/// </summary>
internal sealed class OutputQueue
{
    private const int MinSegment = 4096;
    private const int MaxSegment = 64 * 1024;

    private Segment[] _ring = new Segment[4];
    private int _head;
    private int _count;

    /// <summary>Bytes queued.</summary>
    public long Length { get; private set; }

    public bool IsEmpty => Length == 0;

    /// <summary>Copies <paramref name="data"/> to the end of the queue.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        Length += data.Length;
        if (_count > 0)
        {
            ref var tail = ref _ring[(_head + _count - 1) % _ring.Length];
            int room = tail.Buffer.Length - tail.End;
            int take = Math.Min(room, data.Length);
            data.Slice(0, take).CopyTo(tail.Buffer.AsSpan(tail.End));
            tail.End += take;
            data = data.Slice(take);
        }

        while (!data.IsEmpty)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(Math.Clamp(data.Length, MinSegment, MaxSegment));
            int take = Math.Min(buffer.Length, data.Length);
            data.Slice(0, take).CopyTo(buffer);
            Push(new Segment { Buffer = buffer, End = take });
            data = data.Slice(take);
        }
    }

    /// <summary>The bytes at the head of the queue.</summary>
    public ReadOnlySpan<byte> Head
    {
        get
        {
            ref var head = ref _ring[_head];
            return head.Buffer.AsSpan(head.Start, head.End - head.Start);
        }
    }

    /// <summary>Drops <paramref name="count"/> bytes from the head (at most the head segment).</summary>
    public void Consume(int count)
    {
        ref var head = ref _ring[_head];
        head.Start += count;
        Length -= count;
        if (head.Start == head.End)
        {
            ArrayPool<byte>.Shared.Return(head.Buffer);
            head = default;
            _head = (_head + 1) % _ring.Length;
            _count--;
        }
    }

    /// <summary>Drops everything queued and returns the buffers to the pool.</summary>
    public void Clear()
    {
        while (_count > 0)
        {
            ref var head = ref _ring[_head];
            ArrayPool<byte>.Shared.Return(head.Buffer);
            head = default;
            _head = (_head + 1) % _ring.Length;
            _count--;
        }

        _head = 0;
        Length = 0;
    }

    private void Push(Segment segment)
    {
        if (_count == _ring.Length)
        {
            var bigger = new Segment[_ring.Length * 2];
            for (int i = 0; i < _count; i++)
            {
                bigger[i] = _ring[(_head + i) % _ring.Length];
            }

            _ring = bigger;
            _head = 0;
        }

        _ring[(_head + _count) % _ring.Length] = segment;
        _count++;
    }

    private struct Segment
    {
        public byte[] Buffer;
        public int Start;
        public int End;
    }
}
