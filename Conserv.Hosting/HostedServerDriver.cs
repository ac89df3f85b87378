using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Conserv.Hosting;

/// <summary>
/// The server driver of a hosted server: gives every accepted connection its driver (a new instance from a new
/// dependency-injection scope, or the shared or per-loop one), forwards the server events to that instance, and logs.
/// </summary>
/// <remarks>
/// It runs on the server's loop thread like any driver. Per connection, the instance's own
/// <see cref="IServerEventDriver.OnServerConnection"/> runs for its connection (as the first event it sees), and
/// the scope (with the instance, when the host made it) is disposed after the connection's close event.
/// A server has one of these per loop it runs on (<see cref="ConservServerOptions.Loops"/>), each with that loop's
/// driver instance when there is one (<see cref="ConservServerOptions.DriverPerLoop"/>; <see cref="ConservServerOptions.SharedDriver"/>
/// is the one-loop case), so an instance only ever sees events on its own loop's thread.
/// </remarks>
internal sealed class HostedServerDriver : IServerEventDriver
{
    private readonly ConservServerRegistration _registration;
    private readonly IServiceScopeFactory _scopes;
    private readonly IEventDriver? _shared;
    private readonly IServerEventDriver? _sharedServer;
    private readonly ILogger _logger;

    public HostedServerDriver(ConservServerRegistration registration, IServiceScopeFactory scopes, IEventDriver? shared, ILogger logger)
    {
        _registration = registration;
        _scopes = scopes;
        _shared = shared;
        _sharedServer = shared as IServerEventDriver;
        _logger = logger;
    }

    public ValueTask OnServerListen(TcpServer server)
    {
        HostingLog.Listening(_logger, _registration.Name, Describe(server));
        return _sharedServer?.OnServerListen(server) ?? default;
    }

    public ValueTask OnServerConnection(TcpServer server, TcpSocket client)
    {
        if (_shared is not null)
        {
            // As the runtime does for a driver passed to Listen: the connection starts with it, and its own
            // connection handler may replace it.
            client.Driver = _shared as ISocketEventDriver;
            return _sharedServer?.OnServerConnection(server, client) ?? default;
        }

        var connection = new ConnectionScope(this, _scopes.CreateAsyncScope());
        IEventDriver driver;
        try
        {
            (driver, connection.OwnedDriver) = _registration.CreateDriver(connection.Scope.ServiceProvider);
            connection.Driver = driver;
        }
        catch (Exception e)
        {
            // A driver that cannot be made is this connection's problem, not the server's: the runtime would
            // close the server and every client for an exception thrown here.
            HostingLog.DriverCreationFailed(_logger, _registration.Name, _registration.DriverType.Name, client.RemoteName, e);
            client.Abort();
            connection.Dispose();
            return default;
        }

        client.Driver = driver as ISocketEventDriver;
        client.ClosedToken.UnsafeRegister(static state => ((ConnectionScope)state!).Dispose(), connection);
        if (driver is not IServerEventDriver own)
        {
            return default;
        }

        // The instance belongs to this connection, so a failure of its connection handler ends only this connection.
        try
        {
            var pending = own.OnServerConnection(server, client);
            if (pending.IsCompletedSuccessfully)
            {
                return default;
            }

            return ObserveConnectionHandler(pending, client);
        }
        catch (Exception e)
        {
            ConnectionHandlerFailed(client, e);
            return default;
        }
    }

    public ValueTask<bool> OnServerError(TcpServer server, Exception error)
    {
        HostingLog.ServerFault(_logger, _registration.Name, Describe(server), error);
        return _sharedServer?.OnServerError(server, error) ?? new ValueTask<bool>(false);
    }

    public void OnServerClose(TcpServer server)
    {
        HostingLog.Closed(_logger, _registration.Name, Describe(server));
        _sharedServer?.OnServerClose(server);
    }

    /// <summary>A parseable description of where a server listens: <c>127.0.0.1:7000</c>, <c>[::1]:7000</c> or <c>unix:/tmp/x.sock</c>.</summary>
    internal static string Describe(TcpServer server) => server.IsLocal
        ? $"unix:{server.LocalName}"
        : server.LocalName.Contains(':', StringComparison.Ordinal) ? $"[{server.LocalName}]:{server.Port}" : $"{server.LocalName}:{server.Port}";

    private async ValueTask ObserveConnectionHandler(ValueTask pending, TcpSocket client)
    {
        try
        {
            await pending.ConfigureAwait(true); // stay on the loop thread
        }
        catch (Exception e)
        {
            ConnectionHandlerFailed(client, e);
        }
    }

    private void ConnectionHandlerFailed(TcpSocket client, Exception error)
    {
        HostingLog.ConnectionHandlerFailed(_logger, _registration.Name, _registration.DriverType.Name, client.RemoteName, error);
        client.Abort();
    }

    /// <summary>A connection's scope, and its driver when the host made it (the scope does not track those).</summary>
    private sealed class ConnectionScope(HostedServerDriver owner, AsyncServiceScope scope)
    {
        private int _disposed;

        public AsyncServiceScope Scope { get; } = scope;

        public bool OwnedDriver { get; set; }

        public IEventDriver? Driver { get; set; }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            var disposing = DisposeAsync();
            if (!disposing.IsCompletedSuccessfully)
            {
                _ = ObserveAsync(disposing);
            }
        }

        private async ValueTask DisposeAsync()
        {
            try
            {
                if (OwnedDriver && Driver is IAsyncDisposable asyncDriver)
                {
                    await asyncDriver.DisposeAsync().ConfigureAwait(false);
                }
                else if (OwnedDriver && Driver is IDisposable driver)
                {
                    driver.Dispose();
                }
            }
            finally
            {
                await Scope.DisposeAsync().ConfigureAwait(false);
            }
        }

        private async Task ObserveAsync(ValueTask disposing)
        {
            try
            {
                await disposing.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                HostingLog.DriverDisposeFailed(owner._logger, owner._registration.Name, e);
            }
        }
    }
}
