using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Testing;

/// <summary>A <see cref="TestPeer"/> as a <see cref="Stream"/> (<see cref="TestPeer.AsStream"/>).</summary>
internal sealed class PeerStream(TestPeer peer) : ConnectionStream
{
    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        buffer.IsEmpty ? 0 : await peer.ReceiveSomeAsync(buffer, cancellationToken).ConfigureAwait(false);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Write(ReadOnlySpan<byte> buffer) => peer.Send(buffer);

    public override void Write(byte[] buffer, int offset, int count) => peer.Send(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        peer.Send(buffer.Span);
        return default;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        peer.Send(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !peer.EndReceivedOrClosed)
        {
            peer.Close();
        }

        base.Dispose(disposing);
    }
}
