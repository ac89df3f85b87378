using System;
using System.Net;
using System.Threading.Tasks;
using DotNetty.Transport.Bootstrapping;
using DotNetty.Transport.Channels;
using DotNetty.Transport.Channels.Sockets;

namespace Conserv.Bench.Servers;

/// <summary>
/// DotNetty 0.7.6: one boss loop accepting, worker loops (default one per core) echoing with the pooled allocator.
/// Each channel's pipeline is <see cref="DotNettyEchoHandler"/> unless another is given (the framed echoes: a frame
/// decoder and a handler).
/// </summary>
public sealed class DotNettyEchoServer : IEchoServer
{
    /// <summary>The sharable echo handler, for pipelines that put another handler (TLS) in front of it.</summary>
    public static readonly DotNettyEchoHandler SharedEchoHandler = new();
    private readonly int _workers;
    private readonly string _name;
    private readonly Action<IChannelPipeline> _initPipeline;
    private MultithreadEventLoopGroup? _boss;
    private MultithreadEventLoopGroup? _workerGroup;
    private IChannel? _channel;

    /// <summary>Makes the server; <paramref name="workers"/> 0 means one worker loop per core.</summary>
    /// <param name="workers">Worker event loops, or 0 for one per core.</param>
    /// <param name="name">The name in result tables.</param>
    /// <param name="initPipeline">Adds each channel's handlers; null for the shared <see cref="DotNettyEchoHandler"/>.</param>
    public DotNettyEchoServer(int workers, string name = "dotnetty", Action<IChannelPipeline>? initPipeline = null)
    {
        _workers = workers;
        _name = name;
        _initPipeline = initPipeline ?? (static p => p.AddLast(SharedEchoHandler));
    }

    public string Name => _name;

    public int Port { get; private set; }

    public async Task StartAsync(int port)
    {
        _boss = new MultithreadEventLoopGroup(1);
        _workerGroup = new MultithreadEventLoopGroup(_workers > 0 ? _workers : Environment.ProcessorCount);
        var bootstrap = new ServerBootstrap()
            .Group(_boss, _workerGroup)
            .Channel<TcpServerSocketChannel>()
            .Option(ChannelOption.SoBacklog, 1024)
            .ChildOption(ChannelOption.TcpNodelay, true)
            .ChildHandler(new ActionChannelInitializer<IChannel>(channel => _initPipeline(channel.Pipeline)));
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
