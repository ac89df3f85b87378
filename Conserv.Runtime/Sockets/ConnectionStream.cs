using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv;

/// <summary>
/// What every stream over a connection shares: no length, no position, no seeking, and nothing to flush (writes go to
/// a queue of their own). <see cref="SocketStream"/> derives from it, and so do the streams whose writes only append (<see cref="AppendingStream"/>):
/// the TLS layer's cipher stream and the test peer's stream.
/// </summary>
internal abstract class ConnectionStream : Stream
{
    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException("A connection's stream has no length.");

    public override long Position
    {
        get => throw new NotSupportedException("A connection's stream has no position.");
        set => throw new NotSupportedException("A connection's stream has no position.");
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A connection's stream cannot seek.");

    public override void SetLength(long value) => throw new NotSupportedException("A connection's stream has no length.");
}
