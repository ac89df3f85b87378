using System;
using System.Net;
using System.Net.Sockets;

namespace Conserv.Bench;

/// <summary>
/// A blocking loopback client for round-trip benchmarks: synchronous <see cref="Socket"/> send/receive on
/// spans, which allocate nothing, so the Allocated column is the server's (and the runtime's) alone.
/// </summary>
public sealed class EchoClient : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _message;
    private readonly byte[] _reply;

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/> with TCP_NODELAY.</summary>
    /// <param name="port">The echo server's port.</param>
    /// <param name="size">Bytes per message.</param>
    public EchoClient(int port, int size)
    {
        _message = new byte[size];
        _reply = new byte[size];
        for (int i = 0; i < size; i++)
        {
            _message[i] = (byte)(i * 7);
        }

        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            ReceiveTimeout = 5_000,
            SendTimeout = 5_000,
        };
        _socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
    }

    /// <summary>Sends one message and reads its echo; returns the echo's last byte so nothing is optimized away.</summary>
    /// <returns>The last byte received.</returns>
    public byte RoundTrip()
    {
        var message = _message.AsSpan();
        while (!message.IsEmpty)
        {
            message = message.Slice(_socket.Send(message, SocketFlags.None));
        }

        var reply = _reply.AsSpan();
        while (!reply.IsEmpty)
        {
            int count = _socket.Receive(reply, SocketFlags.None);
            if (count == 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            reply = reply.Slice(count);
        }

        return _reply[^1];
    }

    /// <summary>True when the last echo equals what was sent.</summary>
    /// <returns>Whether the echo was exact.</returns>
    public bool LastEchoMatches() => _reply.AsSpan().SequenceEqual(_message);

    public void Dispose() => _socket.Dispose();
}
