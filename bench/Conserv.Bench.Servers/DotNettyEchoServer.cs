using System;
using System.Net;
using System.Threading.Tasks;
using DotNetty.Transport.Bootstrapping;
using DotNetty.Transport.Channels;
using DotNetty.Transport.Channels.Sockets;

namespace Conserv.Bench.Servers;

/// <summary>DotNetty 0.7.6: one boss loop accepting, worker loops (default one per core) echoing with the pooled allocator.</summary>
public sealed class DotNettyEchoServer : IEchoServer
{
    private readonly int _workers;
    private MultithreadEventLoopGroup? _boss;
    private MultithreadEventLoopGroup? _workerGroup;
    private IChannel? _channel;

    /// <summary>Makes the server; <paramref name="workers"/> 0 means one worker loop per core.</summary>
    /// <param name="workers">Worker event loops, or 0 for one per core.</param>
    public DotNettyEchoServer(int workers) => _workers = workers;

    public string Name => "dotnetty";

    public int Port { get; private set; }

    public async Task StartAsync(int port)
    {
        var handler = new DotNettyEchoHandler();
        _boss = new MultithreadEventLoopGroup(1);
        _workerGroup = new MultithreadEventLoopGroup(_workers > 0 ? _workers : Environment.ProcessorCount);
        var bootstrap = new ServerBootstrap()
            .Group(_boss, _workerGroup)
            .Channel<TcpServerSocketChannel>()
            .Option(ChannelOption.SoBacklog, 1024)
            .ChildOption(ChannelOption.TcpNodelay, true)
            .ChildHandler(new ActionChannelInitializer<IChannel>(channel => channel.Pipeline.AddLast(handler)));
        _channel = await bootstrap.BindAsync(new IPEndPoint(IPAddress.Loopback, port)).ConfigureAwait(false);
        Port = ((IPEndPoint)_channel.LocalAddress).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null)
        {
            await _channel.CloseAsync().ConfigureAwait(false);
        }

        var quiet = TimeSpan.FromMilliseconds(10);
        var timeout = TimeSpan.FromSeconds(2);
        if (_workerGroup is not null)
        {
            await _workerGroup.ShutdownGracefullyAsync(quiet, timeout).ConfigureAwait(false);
        }

        if (_boss is not null)
        {
            await _boss.ShutdownGracefullyAsync(quiet, timeout).ConfigureAwait(false);
        }
    }
}
