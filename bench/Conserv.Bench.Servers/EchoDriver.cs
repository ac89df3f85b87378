using System;
using System.Threading.Tasks;

namespace Conserv.Bench.Servers;

/// <summary>A hand-written Conserv byte-mode echo driver: each data event is written straight back.</summary>
public sealed class EchoDriver : ISocketEventDriver
{
    /// <summary>Only byte data: no output-empty bookkeeping, no decoding.</summary>
    public SocketDriverFeatures Features => SocketDriverFeatures.ByteData;

    public ValueTask OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data)
    {
        socket.Write(data.Span);
        return default;
    }
}
