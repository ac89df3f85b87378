using System;
using System.Text;

namespace Conserv;

/// <summary>The <see cref="TcpSocket.Out"/> writer: text written to it goes to the socket with its output format.</summary>
internal sealed class SocketTextWriter : System.IO.TextWriter
{
    private readonly TcpSocket _socket;

    public SocketTextWriter(TcpSocket socket) => _socket = socket;

    public override Encoding Encoding => _socket.ExternalFormatOut ?? ExternalFormat.Utf8;

    public override void Write(char value) => _socket.Write(value);

    public override void Write(string? value)
    {
        if (value is not null)
        {
            _socket.Write(value);
        }
    }

    public override void Write(char[] buffer, int index, int count) => _socket.Write(buffer.AsSpan(index, count));

    public override void Write(ReadOnlySpan<char> buffer) => _socket.Write(buffer);
}
