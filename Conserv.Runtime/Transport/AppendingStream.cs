using System;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv;

/// <summary>
/// A readable stream over a connection whose writes never wait: every write, synchronous or not, appends its bytes
/// somewhere (<see cref="Append"/>) and is complete when it returns. The TLS layer's cipher stream and the test peer's
/// stream derive from it and say only how they read and where writes go.
/// </summary>
internal abstract class AppendingStream : ConnectionStream
{
    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override void Write(ReadOnlySpan<byte> buffer) => Append(buffer);

    public override void Write(byte[] buffer, int offset, int count) => Append(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Append(buffer.Span);
        return default;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Append(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    /// <summary>Takes the bytes of one write.</summary>
    protected abstract void Append(ReadOnlySpan<byte> bytes);
}
