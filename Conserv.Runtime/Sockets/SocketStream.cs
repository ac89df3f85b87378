using System;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv;

/// <summary>
/// The <see cref="TcpSocket.AsStream"/> view: a write-only stream. Data arrives through the driver's
/// events, so reading is not supported; disposing the stream leaves the socket open.
/// </summary>
internal sealed class SocketStream : ConnectionStream
{
    private readonly TcpSocket _socket;

    public SocketStream(TcpSocket socket) => _socket = socket;

    public override bool CanRead => false;

    public override bool CanWrite => !_socket.IsClosed;

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("Data arrives through the driver's [OnSocketData] handler; the stream is write-only.");

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        _socket.Write(buffer.AsSpan(offset, count));
    }

    public override void Write(ReadOnlySpan<byte> buffer) => _socket.Write(buffer);

    public override void WriteByte(byte value) => _socket.WriteByte(value);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer, offset, count);
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _socket.Write(buffer.Span);
        return default;
    }
}
