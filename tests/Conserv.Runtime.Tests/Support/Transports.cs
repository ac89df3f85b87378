using System;
using System.Net.Sockets;
using System.Threading.Tasks;
using Conserv.Testing;

namespace Conserv.Runtime.Tests;

/// <summary>The test's end of one connection to a driver, over either transport.</summary>
public interface ITestConnection : IDisposable
{
    /// <summary>The driver's socket.</summary>
    TcpSocket Socket { get; }

    void Send(byte[] bytes);

    Task<byte[]> ReceiveAsync(int count);

    /// <summary>Everything until the driver's side ends, and whether it ended with a reset.</summary>
    Task<(byte[] Data, bool Reset)> ReceiveToEndAsync();

    void ShutdownWrite();

    void Reset();
}

/// <summary>
/// Where a semantic test runs its driver: over loopback TCP through a real server (<c>kernel</c>), or over the
/// in-memory transport of Conserv.Testing (<c>memory</c>). The same test, the same assertions: the transports must agree.
/// </summary>
public abstract class TransportUnderTest : IAsyncDisposable
{
    public static TransportUnderTest Create(string name) => name switch
    {
        "kernel" => new KernelTransport(),
        "memory" => new InMemoryTransport(),
        _ => throw new ArgumentException($"no transport '{name}'", nameof(name)),
    };

    public abstract EventLoop Loop { get; }

    /// <summary>A peer connects; <paramref name="driver"/> gets the accepted socket.</summary>
    public abstract Task<ITestConnection> AcceptAsync(ISocketEventDriver driver, TcpSocketOptions? options = null);

    /// <summary>Lets <paramref name="time"/> pass: on the virtual clock at once, or in real time by itself (the test then awaits the event).</summary>
    public abstract Task ElapseAsync(TimeSpan time);

    public Task<T> OnLoop<T>(Func<T> action) => Loop.OnLoopAsync(action);

    public abstract ValueTask DisposeAsync();

    private sealed class KernelTransport : TransportUnderTest
    {
        private readonly TestLoop _loop = new();
        private TcpServer? _server;

        public override EventLoop Loop => _loop.Loop;

        public override async Task<ITestConnection> AcceptAsync(ISocketEventDriver driver, TcpSocketOptions? options = null)
        {
            var serverOptions = new TcpServerOptions { AllowHalfOpen = options?.AllowHalfOpen ?? false };
            var accepted = new TaskCompletionSource<TcpSocket>(TaskCreationOptions.RunContinuationsAsynchronously);
            var acceptor = new RecordingDriver
            {
                OnConnection = (_, client) =>
                {
                    client.Driver = driver;
                    if (options is not null)
                    {
                        client.IdleTimeout = options.IdleTimeout;
                        client.OutputLimit = options.OutputLimit;
                        client.SetOutputWaterMarks(options.OutputLowWaterMark, options.OutputHighWaterMark);
                    }

                    accepted.TrySetResult(client);
                    return default;
                },
            };
            _server = TcpServer.Listen(acceptor, port: 0, loop: Loop, options: serverOptions);
            var peer = await Peer.ConnectAsync(_server.Port!.Value);
            var socket = await accepted.Task.WaitAsync(EventLog.DefaultTimeout);
            return new KernelConnection(peer, socket);
        }

        public override Task ElapseAsync(TimeSpan time) => Task.CompletedTask;

        public override async ValueTask DisposeAsync()
        {
            if (_server is not null)
            {
                await _server.DisposeAsync();
            }

            await _loop.DisposeAsync();
        }
    }

    private sealed class KernelConnection(Socket peer, TcpSocket socket) : ITestConnection
    {
        public TcpSocket Socket { get; } = socket;

        public void Send(byte[] bytes) => peer.SendAllAsync(bytes).GetAwaiter().GetResult();

        public Task<byte[]> ReceiveAsync(int count) => peer.ReadExactlyAsync(count);

        public Task<(byte[] Data, bool Reset)> ReceiveToEndAsync() => peer.ReadToEndAsync();

        public void ShutdownWrite() => peer.Shutdown(SocketShutdown.Send);

        public void Reset()
        {
            peer.LingerState = new LingerOption(true, 0);
            peer.Close();
        }

        public void Dispose() => peer.Dispose();
    }

    private sealed class InMemoryTransport : TransportUnderTest
    {
        private readonly TestNetwork _network = new();

        public override EventLoop Loop => _network.Loop;

        public override async Task<ITestConnection> AcceptAsync(ISocketEventDriver driver, TcpSocketOptions? options = null) =>
            new MemoryConnection(await _network.AcceptAsync(driver, options));

        public override Task ElapseAsync(TimeSpan time) => _network.AdvanceAsync(time);

        public override ValueTask DisposeAsync() => _network.DisposeAsync();
    }

    private sealed class MemoryConnection(TestPeer peer) : ITestConnection
    {
        public TcpSocket Socket => peer.Socket;

        public void Send(byte[] bytes) => peer.Send(bytes);

        public Task<byte[]> ReceiveAsync(int count) => peer.ReceiveAsync(count);

        public async Task<(byte[] Data, bool Reset)> ReceiveToEndAsync()
        {
            var data = await peer.ReceiveToEndAsync();
            await peer.Closed.WaitAsync(EventLog.DefaultTimeout);
            return (data, peer.WasReset);
        }

        public void ShutdownWrite() => peer.ShutdownWrite();

        public void Reset() => peer.Reset();

        public void Dispose()
        {
        }
    }
}
