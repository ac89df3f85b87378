using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conserv.Hosting;

/// <summary>
/// The servers registered with <c>AddConservServer</c>, started and stopped with the host. Inject it to find where
/// a server listens (the port picked for <c>Port = 0</c>), or to reach its clients.
/// </summary>
public sealed class ConservServers
{
    /// <summary>How long stopping waits for the servers' close events once their connections are aborted.</summary>
    private static readonly TimeSpan s_abortGrace = TimeSpan.FromSeconds(5);

    private readonly IReadOnlyList<ConservServerRegistration> _registrations;
    private readonly IOptionsMonitor<ConservServerOptions> _options;
    private readonly IServiceProvider _services;
    private readonly EventLoopGroup _loops;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly Dictionary<string, RunningServer> _running = new(StringComparer.Ordinal);

    internal ConservServers(IEnumerable<ConservServerRegistration> registrations, IOptionsMonitor<ConservServerOptions> options,
        IServiceProvider services, EventLoopGroup loops, ILoggerFactory? loggerFactory)
    {
        _registrations = registrations.ToList();
        _options = options;
        _services = services;
        _loops = loops;
        _logger = (loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger(HostingLog.Category);
    }

    /// <summary>The names of the registered servers.</summary>
    public IReadOnlyList<string> Names => _registrations.Select(r => r.Name).ToList();

    /// <summary>
    /// The listeners of the server called <paramref name="name"/> while the host runs: the TCP ones first (when
    /// <see cref="ConservServerOptions.Port"/> is set; one per loop, <see cref="ConservServerOptions.Loops"/>, all on one
    /// port), then the Unix-domain one.
    /// </summary>
    /// <param name="name">The server's name, as given to <c>AddConservServer</c>.</param>
    /// <returns>The listeners.</returns>
    /// <exception cref="InvalidOperationException">No server of that name has been started (or it has stopped).</exception>
    public IReadOnlyList<TcpServer> this[string name]
    {
        get
        {
            lock (_gate)
            {
                return _running.TryGetValue(name, out var running)
                    ? running.Listeners.AsReadOnly()
                    : throw new InvalidOperationException($"No Conserv server named '{name}' is running. Registered: {string.Join(", ", Names.Select(n => $"'{n}'"))}; servers run between the host's start and stop.");
            }
        }
    }

    /// <summary>Binds every registered server; a server that cannot listen fails the start and closes the ones already open.</summary>
    internal async Task StartAsync(CancellationToken cancellationToken)
    {
        var scopes = _services.GetRequiredService<IServiceScopeFactory>();
        foreach (var loop in _loops.Loops)
        {
            loop.UnhandledException += OnUnhandledException;
        }

        var started = new List<RunningServer>();
        try
        {
            foreach (var registration in _registrations)
            {
                cancellationToken.ThrowIfCancellationRequested();

                // Validation (ValidateOnStart) has already run; this only reads the validated value.
                var options = _options.Get(registration.Name);
                ConservServerOptionsValidator.TryGetEncoding(options.TextEncoding, out var encoding);
                var serverOptions = ConservServerOptionsValidator.ToServerOptions(options);

                var running = new RunningServer(registration.Name, options.DrainTimeout);
                started.Add(running);

                // One loop unless Loops says more (validation allows that only when no driver instance would be
                // shared between loops). A driver instance per loop (SharedDriver is that with one loop) is made here
                // and sees every event of its loop's listeners, on that loop's thread; without one, HostedServerDriver
                // makes a driver per connection.
                var loops = PickLoops(options.Loops);
                var drivers = new HostedServerDriver[loops.Count];
                for (int i = 0; i < loops.Count; i++)
                {
                    IEventDriver? instance = null;
                    if (options.SharedDriver || options.DriverPerLoop)
                    {
                        var made = registration.CreateDriver(_services);
                        running.Instances.Add(made); // disposed with the server (if the host made it), also if a later step fails
                        instance = made.Driver;
                    }

                    drivers[i] = new HostedServerDriver(registration, scopes, instance, _logger);
                }

                if (options.Port is { } port)
                {
                    var tcpOptions = loops.Count == 1 ? serverOptions : ConservServerOptionsValidator.ToServerOptions(options, loops.Count);
                    for (int i = 0; i < loops.Count; i++)
                    {
                        // The first listener binds the port (port 0: a free one); the others join it (SO_REUSEPORT).
                        var (loop, driver) = (loops[i], drivers[i]);
                        int bind = i == 0 ? port : running.Listeners[0].Port!.Value;
                        running.Listeners.Add(Listen(registration.Name, $"{options.Host}:{bind}",
                            () => TcpServer.Listen(driver, options.Host, bind, encoding, encoding, loop, tcpOptions)));
                    }
                }

                if (!string.IsNullOrEmpty(options.UnixPath))
                {
                    running.Listeners.Add(Listen(registration.Name, $"unix:{options.UnixPath}",
                        () => TcpServer.ListenUnix(drivers[0], options.UnixPath, encoding, encoding, loops[0], serverOptions)));
                }
            }
        }
        catch
        {
            await AbortAsync(started).ConfigureAwait(false);
            Unsubscribe();
            throw;
        }

        lock (_gate)
        {
            foreach (var running in started)
            {
                _running[running.Name] = running;
            }
        }
    }

    /// <summary>
    /// Closes every server gracefully (each with its own drain period) and waits for them; when
    /// <paramref name="cancellationToken"/> (the host's shutdown timeout) fires first, aborts what is left.
    /// </summary>
    internal async Task StopAsync(CancellationToken cancellationToken)
    {
        List<RunningServer> running;
        lock (_gate)
        {
            running = _running.Values.ToList();
            _running.Clear();
        }

        foreach (var server in running)
        {
            HostingLog.Stopping(_logger, server.Name, server.Listeners.Sum(l => l.ClientCount), server.DrainTimeout);
            foreach (var listener in server.Listeners)
            {
                listener.Close(server.DrainTimeout);
            }
        }

        var closed = Task.WhenAll(running.SelectMany(s => s.Listeners).Select(l => l.Closed));
        try
        {
            await closed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            HostingLog.DrainCutShort(_logger, running.Sum(s => s.Listeners.Sum(l => l.ClientCount)));
            await AbortAsync(running).ConfigureAwait(false);
        }
        finally
        {
            await DisposeSharedDriversAsync(running).ConfigureAwait(false);
            Unsubscribe();
        }
    }

    /// <summary>
    /// <paramref name="wanted"/> distinct loops of the group (0: all of them), starting at its round-robin position so
    /// that several one-loop servers are spread over the group.
    /// </summary>
    private List<EventLoop> PickLoops(int wanted)
    {
        var all = _loops.Loops;
        var first = _loops.Next();
        int start = 0;
        while (all[start] != first)
        {
            start++;
        }

        int count = wanted == 0 ? all.Count : wanted;
        var picked = new List<EventLoop>(count);
        for (int i = 0; i < count; i++)
        {
            picked.Add(all[(start + i) % all.Count]);
        }

        return picked;
    }

    private static TcpServer Listen(string name, string endpoint, Func<TcpServer> listen)
    {
        try
        {
            return listen();
        }
        catch (Exception e) when (e is SocketException or IOException or ArgumentException or UnauthorizedAccessException)
        {
            // Kestrel's way: an IOException that says which server and where, with the system's reason inside.
            throw new IOException($"Conserv server '{name}' cannot listen on {endpoint}: {e.Message}", e);
        }
    }

    private async Task AbortAsync(List<RunningServer> servers)
    {
        var listeners = servers.SelectMany(s => s.Listeners).ToList();
        foreach (var listener in listeners)
        {
            listener.Close(TimeSpan.Zero);
        }

        var closed = Task.WhenAll(listeners.Select(l => l.Closed));
        if (await Task.WhenAny(closed, Task.Delay(s_abortGrace)).ConfigureAwait(false) != closed)
        {
            // A close handler that blocks its loop: the host goes on stopping rather than hang with it.
            HostingLog.AbortIncomplete(_logger, listeners.Count(l => !l.Closed.IsCompleted), s_abortGrace);
        }

        await DisposeSharedDriversAsync(servers).ConfigureAwait(false);
    }

    private async Task DisposeSharedDriversAsync(List<RunningServer> servers)
    {
        foreach (var server in servers)
        {
            // Only what the host made; a driver registered as a service belongs to the container.
            foreach (var driver in server.TakeOwnedInstances())
            {
                try
                {
                    if (driver is IAsyncDisposable asyncDisposable)
                    {
                        await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    }
                    else if (driver is IDisposable disposable)
                    {
                        disposable.Dispose();
                    }
                }
                catch (Exception e)
                {
                    HostingLog.DriverDisposeFailed(_logger, server.Name, e);
                }
            }
        }
    }

    private void OnUnhandledException(object? sender, LoopExceptionEventArgs e)
    {
        string target = e.Server?.ToString() ?? e.Socket?.ToString() ?? "loop";
        HostingLog.Unhandled(_logger, target, e.Exception);
    }

    private void Unsubscribe()
    {
        foreach (var loop in _loops.Loops)
        {
            loop.UnhandledException -= OnUnhandledException;
        }
    }

    /// <summary>One registered server while it runs: its listeners and what stopping it needs.</summary>
    private sealed class RunningServer(string name, TimeSpan drainTimeout)
    {
        public string Name { get; } = name;

        public TimeSpan DrainTimeout { get; } = drainTimeout;

        public List<TcpServer> Listeners { get; } = new();

        /// <summary>The driver instances made at start (shared, or one per loop); none for drivers per connection.</summary>
        public List<(IEventDriver Driver, bool Owned)> Instances { get; } = new();

        /// <summary>The instances the host made (not those the container owns), once: a second call returns none.</summary>
        public List<IEventDriver> TakeOwnedInstances()
        {
            var owned = Instances.Where(i => i.Owned).Select(i => i.Driver).Distinct().ToList();
            Instances.Clear();
            return owned;
        }
    }
}
