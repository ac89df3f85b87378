using System;
using System.Threading.Tasks;

namespace Conserv.Bench.Servers;

/// <summary>
/// The Conserv echo server: one <see cref="EventLoop"/> with one driver instance, or (with a loop count) a
/// server group over an <see cref="EventLoopGroup"/>, one listener and driver per loop (SO_REUSEPORT).
/// </summary>
public sealed class ConservEchoServer : IEchoServer
{
    private readonly int? _groupLoops;
    private readonly Func<ISocketEventDriver> _driverFactory;
    private readonly EventLoopOptions? _options;
    private readonly string _name;
    private readonly TcpServerOptions? _serverOptions;
    private EventLoop? _loop;
    private EventLoopGroup? _group;
    private TcpServer? _server;
    private TcpServerGroup? _servers;

    /// <summary>Makes the server; <paramref name="groupLoops"/> null for one loop, else a group (0: one loop per core).</summary>
    /// <param name="groupLoops">Null for a single loop; the group's loop count otherwise.</param>
    /// <param name="driverFactory">Makes each driver instance; null for <see cref="EchoDriver"/>.</param>
    /// <param name="options">Loop settings (e.g. <see cref="EventLoopOptions.SpinBeforeWait"/>); null for the defaults.</param>
    /// <param name="name">The name in result tables; by default conserv or conserv-group.</param>
    /// <param name="serverOptions">Listener settings (e.g. <see cref="TcpServerOptions.Tls"/>); null for the defaults.</param>
    public ConservEchoServer(int? groupLoops, Func<ISocketEventDriver>? driverFactory = null, EventLoopOptions? options = null, string? name = null,
        TcpServerOptions? serverOptions = null)
    {
        _serverOptions = serverOptions;
        _groupLoops = groupLoops;
        _driverFactory = driverFactory ?? (static () => new EchoDriver());
        _options = options;
        _name = name ?? (groupLoops is null ? "conserv" : "conserv-group");
    }

    public string Name => _name;

    public int Port { get; private set; }

    /// <summary>The single server's loop (null for a group), for measurements taken on the loop thread.</summary>
    public EventLoop? Loop => _loop;

    public Task StartAsync(int port)
    {
        if (_groupLoops is { } loops)
        {
            _group = new EventLoopGroup(loops, _options);
            _servers = TcpServer.Listen(_driverFactory, "127.0.0.1", port, ExternalFormat.Bytes, ExternalFormat.Bytes, group: _group, options: _serverOptions);
            Port = _servers.Port!.Value;
        }
        else
        {
            _loop = EventLoop.Start(_options);
            _server = TcpServer.Listen(_driverFactory(), "127.0.0.1", port, ExternalFormat.Bytes, ExternalFormat.Bytes, loop: _loop, options: _serverOptions);
            Port = _server.Port!.Value;
        }

        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_servers is not null)
        {
            await _servers.DisposeAsync();
        }

        _loop?.Stop();
        _group?.Stop();
    }
}
