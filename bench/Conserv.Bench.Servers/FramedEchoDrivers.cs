using System;
using System.Buffers.Binary;

namespace Conserv.Bench.Servers;

/// <summary>The frame limit every framed echo server uses (Conserv, Kestrel and DotNetty alike): 1 MiB.</summary>
public static class FramedEcho
{
    /// <summary>Largest frame, without its terminator or prefix.</summary>
    public const int MaxLength = 1 << 20;
}

/// <summary>A generated line echo: the runtime delivers one line (without its terminator) per call; it goes back with a '\n'.</summary>
public sealed partial class LineEchoDriver
{
    [OnSocketLine(MaxLength = FramedEcho.MaxLength)]
    private void Line(TcpSocket socket, ReadOnlySpan<byte> line)
    {
        socket.Write(line);
        socket.WriteByte((byte)'\n');
    }
}

/// <summary>A generated length-prefix echo: the runtime delivers one frame (without its 4-byte big-endian prefix) per call; it goes back behind the same prefix.</summary>
public sealed partial class PrefixEchoDriver
{
    [OnSocketFrame(LengthPrefix = 4, MaxLength = FramedEcho.MaxLength)]
    private void Frame(TcpSocket socket, ReadOnlySpan<byte> frame)
    {
        Span<byte> prefix = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, frame.Length);
        socket.Write(prefix);
        socket.Write(frame);
    }
}
