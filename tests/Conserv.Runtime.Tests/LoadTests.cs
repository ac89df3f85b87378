using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

public class LoadTests
{
    [Fact]
    public async Task A_thousand_concurrent_connections_echo_every_byte()
    {
        const int connections = 1000;
        const int size = 4096;
        var serverDriver = new EchoDriver();
        await using var server = TcpServer.Listen(serverDriver, port: 0, externalFormatIn: ExternalFormat.Bytes, externalFormatOut: ExternalFormat.Bytes);

        var clients = new CheckingClient[connections];
        for (int i = 0; i < connections; i++)
        {
            clients[i] = new CheckingClient(Peer.Pattern(size, 1000 + i));
            TcpSocket.Connect(clients[i], "127.0.0.1", server.Port!.Value, externalFormatIn: ExternalFormat.Bytes);
        }

        await Task.WhenAll(clients.Select(c => c.Done.Task)).WithTimeout("every connection to echo its pattern", TimeSpan.FromSeconds(60));

        Assert.All(clients, c => Assert.Equal("ok", c.Done.Task.Result));
        await server.Loop.Barrier();
        Assert.Equal((long)connections * size, Interlocked.Read(ref serverDriver.Echoed));
    }

    private sealed class EchoDriver : ISocketEventDriver
    {
        public long Echoed;

        public ValueTask OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data)
        {
            socket.Write(data.Span);
            Interlocked.Add(ref Echoed, data.Length);
            return default;
        }
    }

    /// <summary>Sends its pattern on connect, checks every byte echoed back, then closes.</summary>
    private sealed class CheckingClient : ISocketEventDriver
    {
        private readonly byte[] _pattern;
        private int _received;

        public CheckingClient(byte[] pattern) => _pattern = pattern;

        public TaskCompletionSource<string> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public SocketDriverFeatures Features => SocketDriverFeatures.ByteData;

        public ValueTask OnSocketConnect(TcpSocket socket)
        {
            socket.Write(_pattern);
            return default;
        }

        public ValueTask OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data)
        {
            if (_received + data.Length > _pattern.Length || !data.Span.SequenceEqual(_pattern.AsSpan(_received, data.Length)))
            {
                Done.TrySetResult($"mismatch after {_received} bytes");
                socket.Abort();
                return default;
            }

            _received += data.Length;
            if (_received == _pattern.Length)
            {
                socket.Close();
            }

            return default;
        }

        public void OnSocketClose(TcpSocket socket, Exception? cause)
        {
            Done.TrySetResult(_received == _pattern.Length && cause is null ? "ok" : $"closed after {_received} bytes: {cause?.Message}");
        }
    }
}
