using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Testing;

/// <summary>A <see cref="TestPeer"/> as a <see cref="Stream"/> (<see cref="TestPeer.AsStream"/>).</summary>
internal sealed class PeerStream(TestPeer peer) : AppendingStream
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        buffer.IsEmpty ? 0 : await peer.ReceiveSomeAsync(buffer, cancellationToken).ConfigureAwait(false);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    protected override void Append(ReadOnlySpan<byte> bytes) => peer.Send(bytes);

    protected override void Dispose(bool disposing)
    {
        if (disposing && !peer.EndReceivedOrClosed)
        {
            peer.Close();
        }

        base.Dispose(disposing);
    }
}
