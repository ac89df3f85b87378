using System;
using System.Runtime.InteropServices;
using Conserv.Interop;

namespace Conserv;

/// <summary>
/// What a socket wrote that the kernel has not taken yet: a ring of segments, drained on writability.
/// </summary>
/// <remarks>
/// Segments live in native memory and are given back as soon as the kernel has taken them: the smallest (4 KiB, what
/// every small write gets) to the loop's <see cref="OutputSegmentPool"/>, which keeps a bounded number for the next
/// batch's replies; larger ones to the allocator. A queue only grows for a peer that reads slowly; when such a peer is
/// dropped with megabytes queued, freeing hands the memory straight back, where managed arrays would stay on the GC
/// heap (committed, counted in the process's RSS) until later collections. Native segments also give a gathered
/// write stable pointers.
/// </remarks>
internal sealed unsafe class OutputQueue
{
    private const int MinSegment = OutputSegmentPool.SegmentSize;
    private const int MaxSegment = 64 * 1024;

    private readonly OutputSegmentPool _pool;
    private Segment[] _ring = new Segment[4];
    private int _head;
    private int _count;

    /// <param name="pool">Where the smallest segments come from and go back to: the socket's loop's.</param>
    public OutputQueue(OutputSegmentPool pool) => _pool = pool;

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
            int take = Math.Min(tail.Capacity - tail.End, data.Length);
            data.Slice(0, take).CopyTo(new Span<byte>(tail.Buffer + tail.End, take));
            tail.End += take;
            data = data.Slice(take);
        }

        while (!data.IsEmpty)
        {
            int capacity = Math.Clamp(data.Length, MinSegment, MaxSegment);
            var segment = new Segment { Buffer = Allocate(capacity), Capacity = capacity };
            int take = Math.Min(capacity, data.Length);
            data.Slice(0, take).CopyTo(new Span<byte>(segment.Buffer, take));
            segment.End = take;
            Push(segment);
            data = data.Slice(take);
        }
    }

    /// <summary>How many segments hold queued bytes.</summary>
    public int SegmentCount => _count;

    /// <summary>
    /// Describes up to <paramref name="max"/> segments from the head in <paramref name="vectors"/>, for one gathered
    /// write; returns how many were described and, in <paramref name="bytes"/>, how many bytes they hold.
    /// </summary>
    public int Gather(Libc.IoVector* vectors, int max, out long bytes)
    {
        int n = Math.Min(max, _count);
        bytes = 0;
        for (int i = 0; i < n; i++)
        {
            ref var segment = ref _ring[(_head + i) % _ring.Length];
            vectors[i].Base = segment.Buffer + segment.Start;
            vectors[i].Length = (nuint)(segment.End - segment.Start);
            bytes += segment.End - segment.Start;
        }

        return n;
    }

    /// <summary>Drops <paramref name="count"/> bytes from the head, freeing the segments it empties.</summary>
    public void Consume(long count)
    {
        Length -= count;
        while (count > 0)
        {
            ref var head = ref _ring[_head];
            int take = (int)Math.Min(count, head.End - head.Start);
            head.Start += take;
            count -= take;
            if (head.Start == head.End)
            {
                Release(head);
                head = default;
                _head = (_head + 1) % _ring.Length;
                _count--;
            }
        }
    }

    /// <summary>Drops everything queued and frees its memory.</summary>
    public void Clear()
    {
        while (_count > 0)
        {
            ref var head = ref _ring[_head];
            Release(head);
            head = default;
            _head = (_head + 1) % _ring.Length;
            _count--;
        }

        _head = 0;
        Length = 0;
    }

    private byte* Allocate(int capacity) =>
        capacity == MinSegment ? _pool.Rent() : (byte*)NativeMemory.Alloc((nuint)capacity);

    private void Release(in Segment segment)
    {
        if (segment.Capacity == MinSegment)
        {
            _pool.Return(segment.Buffer);
        }
        else
        {
            NativeMemory.Free(segment.Buffer);
        }
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
        public byte* Buffer;
        public int Capacity;
        public int Start;
        public int End;
    }
}
