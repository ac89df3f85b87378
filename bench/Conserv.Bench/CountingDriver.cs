using System;
using System.Threading.Tasks;

namespace Conserv.Bench;

/// <summary>A driver that only counts data events, for the dispatch benchmark.</summary>
public sealed class CountingDriver : ISocketEventDriver
{
    public long Bytes;

    public ValueTask OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data)
    {
        Bytes += data.Length;
        return default;
    }
}
