using System.Net;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Conserv.Bench.Servers;

/// <summary>
/// Kestrel with its default sockets transport and a <see cref="ConnectionHandler"/> (no HTTP): the ASP.NET Core
/// stack's raw TCP path. Default transport settings, except the I/O queue count when one is given.
/// </summary>
public sealed class KestrelEchoServer : IEchoServer
{
    private readonly int _ioQueues;
    private WebApplication? _app;

    /// <summary>Makes the server; <paramref name="ioQueues"/> 0 keeps Kestrel's default (one per core).</summary>
    /// <param name="ioQueues">The sockets transport's IOQueueCount, or 0 for the default.</param>
    public KestrelEchoServer(int ioQueues) => _ioQueues = ioQueues;

    public string Name => "kestrel";

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

        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, port, l => l.UseConnectionHandler<KestrelEchoConnectionHandler>()));
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
