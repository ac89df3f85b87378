using System;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace Conserv;

/// <summary>
/// The stream an <see cref="System.Net.Security.SslStream"/> runs over inside a <see cref="TlsTransport"/>. It never
/// blocks: a read takes what the kernel has straight into the SslStream's own buffer and, when there is nothing, stays
/// pending until the transport reports readability (<see cref="CompletePendingRead"/>); a write appends to the
/// transport's ciphertext buffer. Every call runs on the socket's loop thread, and the SslStream's continuations run
/// inline when a pending read completes, so the handshake and decryption happen there too, in order.
/// </summary>
internal sealed class TlsCipherStream : AppendingStream, IValueTaskSource<int>
{
    private readonly TlsTransport _owner;
    private Memory<byte> _pendingBuffer;
    private bool _pendingRead;

    // The one pending read, reused: a read that must wait allocates nothing. Continuations run inline (the TLS layer
    // runs the SslStream with no synchronization context, so none is captured).
    private ManualResetValueTaskSourceCore<int> _read;

    public TlsCipherStream(TlsTransport owner) => _owner = owner;

    /// <summary>True while the SslStream waits for ciphertext: the transport then wants the kernel's readability.</summary>
    public bool HasPendingRead => _pendingRead;

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            // A zero-byte read waits for data without a buffer (the SslStream rents one only then): it completes, with 0,
            // when the kernel reports readability; recv would answer 0 at once, which means the end of the stream.
            return Pend(buffer);
        }

        int count = _owner.ReceiveCipher(buffer.Span, out var fault);
        if (fault is not null)
        {
            return ValueTask.FromException<int>(fault);
        }

        if (count >= 0)
        {
            return new ValueTask<int>(count);
        }

        return Pend(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Fills the SslStream's pending read from the kernel, if it has anything; the SslStream continues inline.</summary>
    public void CompletePendingRead()
    {
        if (!_pendingRead)
        {
            return;
        }

        if (_pendingBuffer.IsEmpty)
        {
            _pendingRead = false;
            _read.SetResult(0); // a zero-byte read: readability is all it waited for
            return;
        }

        int count = _owner.ReceiveCipher(_pendingBuffer.Span, out var fault);
        if (count < 0 && fault is null)
        {
            return; // still nothing
        }

        _pendingRead = false;
        _pendingBuffer = default;
        if (fault is not null)
        {
            _read.SetException(fault);
        }
        else
        {
            _read.SetResult(count);
        }
    }

    private ValueTask<int> Pend(Memory<byte> buffer)
    {
        _pendingBuffer = buffer;
        _pendingRead = true;
        _read.Reset();
        return new ValueTask<int>(this, _read.Version);
    }

    int IValueTaskSource<int>.GetResult(short token) => _read.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _read.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _read.OnCompleted(continuation, state, token, flags);

    protected override void Append(ReadOnlySpan<byte> bytes) => _owner.AppendCipher(bytes);

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("Reads are asynchronous only: the loop thread never blocks.");
}
