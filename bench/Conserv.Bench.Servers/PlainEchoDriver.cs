using System;
using System.Threading.Tasks;

namespace Conserv.Bench.Servers;

/// <summary>
/// The simplest hand-written echo driver: it keeps the interface's default <see cref="ISocketEventDriver.Features"/>
/// (byte data and output-empty), so the runtime also runs its output-empty bookkeeping after each write.
/// </summary>
public sealed class PlainEchoDriver : ISocketEventDriver
{
    public ValueTask OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data)
    {
        socket.Write(data.Span);
        return default;
    }
}
