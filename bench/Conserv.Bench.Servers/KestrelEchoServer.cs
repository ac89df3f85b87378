using System;
using System.Net;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Conserv.Bench.Servers;

/// <summary>
/// Kestrel with its default sockets transport and a <see cref="ConnectionHandler"/> (no HTTP): the ASP.NET Core
/// stack's raw TCP path. Default transport settings, except the I/O queue count when one is given.
/// The connection handler is <see cref="KestrelEchoConnectionHandler"/> unless another is named (the framed echoes).
/// </summary>
public sealed class KestrelEchoServer : IEchoServer
{
    private readonly int _ioQueues;
    private readonly string _name;
    private readonly Action<ListenOptions> _useHandler;
    private WebApplication? _app;

    /// <summary>Makes the server; <paramref name="ioQueues"/> 0 keeps Kestrel's default (one per core).</summary>
    /// <param name="ioQueues">The sockets transport's IOQueueCount, or 0 for the default.</param>
    /// <param name="name">The name in result tables.</param>
    /// <param name="useHandler">Puts the connection handler on the endpoint; null for <see cref="KestrelEchoConnectionHandler"/>.</param>
    public KestrelEchoServer(int ioQueues, string name = "kestrel", Action<ListenOptions>? useHandler = null)
    {
        _ioQueues = ioQueues;
        _name = name;
        _useHandler = useHandler ?? (static l => l.UseConnectionHandler<KestrelEchoConnectionHandler>());
    }

    public string Name => _name;

    public int Port { get; private set; }

    public async Task StartAsync(int port)
    {
        if (port == 0)
        {
            port = EchoServerFactory.FreePort();
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (_ioQueues > 0)
        {
            builder.WebHost.UseSockets(o => o.IOQueueCount = _ioQueues);
        }

        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, port, _useHandler));
        _app = builder.Build();
        await _app.StartAsync().ConfigureAwait(false);
        Port = port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }
}
