using System.Runtime.InteropServices;

namespace Conserv;

/// <summary>
/// The 4 KiB output segments one loop's sockets have finished with, kept for their next small writes.
/// </summary>
/// <remarks>
/// A reply waits in a segment from the handler's write until the loop's gathered write after the batch, so a batch
/// of N connections holds N segments at once. Freed and allocated again every batch, that much native memory
/// crosses glibc's trim threshold each time: the heap top is handed back to the kernel and faulted in again (about
/// 32,000 page faults a second at 1,000 connections, which cut the loop's rate by more than half). The pool keeps at
/// most one batch's worth (one segment per event a poll can return): up to 1 MiB per loop, and nothing for a loop
/// whose sockets never wrote. Larger segments (bulk output) are rare and still go back to the allocator at once.
/// Loop thread only.
/// </remarks>
internal sealed unsafe class OutputSegmentPool
{
    /// <summary>The size of a pooled segment: the queue's smallest, what every small write gets.</summary>
    public const int SegmentSize = 4096;

    private readonly nint[] _free;
    private int _count;
    private bool _disposed;

    /// <param name="capacity">The most free segments kept; more are freed.</param>
    public OutputSegmentPool(int capacity) => _free = new nint[capacity];

    /// <summary>Segments taken from native memory so far (not from the pool): how tests see reuse.</summary>
    public long Allocated { get; private set; }

    /// <summary>Free segments held now.</summary>
    public int Count => _count;

    /// <summary>A segment of <see cref="SegmentSize"/> bytes, from the pool when it has one.</summary>
    public byte* Rent()
    {
        if (_count > 0)
        {
            return (byte*)_free[--_count];
        }

        Allocated++;
        return (byte*)NativeMemory.Alloc(SegmentSize);
    }

    /// <summary>Takes back a segment from <see cref="Rent"/>: kept while the pool has room, freed otherwise.</summary>
    public void Return(byte* segment)
    {
        if (_count < _free.Length && !_disposed)
        {
            _free[_count++] = (nint)segment;
            return;
        }

        NativeMemory.Free(segment);
    }

    /// <summary>Frees every pooled segment; segments returned later are freed at once (sockets closed after their loop).</summary>
    public void Dispose()
    {
        _disposed = true;
        while (_count > 0)
        {
            NativeMemory.Free((void*)_free[--_count]);
        }
    }
}
