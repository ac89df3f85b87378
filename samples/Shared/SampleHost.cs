using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading.Tasks;

namespace Conserv.Samples;

/// <summary>
/// Runs a sample server the way the README shows: <see cref="EventLoop.Run(Action, EventLoopOptions?)"/> on the main
/// thread, listening where <see cref="SampleOptions"/> say, with one <c>listening on …</c> line per listener. Ctrl+C
/// (SIGINT) or SIGTERM stops the loop gracefully (the runtime's own signal handling: servers stop accepting, clients
/// get up to 5 s to take what is queued, close handlers run) and the program exits 0. With <c>--tls</c> or
/// <c>--tls-cert</c> every listener serves TLS (<see cref="TcpServerOptions.Tls"/>, see <see cref="SampleTls"/>).
/// </summary>
public static class SampleHost
{
    /// <summary>How long a clean stop may take before the remaining connections are cut.</summary>
    private static readonly TimeSpan s_stopGrace = TimeSpan.FromSeconds(5);

    /// <summary>How long to wait, once the loop has stopped, for our signal handler to report a stop signal.</summary>
    private static readonly TimeSpan s_signalHandlerGrace = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Adds the TLS settings of <c>--tls</c> or <c>--tls-cert</c>; false (the message written) if the certificate cannot be used.
    /// A method of its own, so a plain run never loads the TLS and cryptography assemblies (their descriptors count
    /// against the server's limit: see DescriptorLimit).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static bool AddTls(SampleOptions options, ref TcpServerOptions? serverOptions)
    {
        var tls = SampleTls.ServerOptions(options, out string? tlsError);
        if (tls is null)
        {
            Console.Error.WriteLine($"error: cannot use the TLS certificate: {tlsError}");
            return false;
        }

        // The sample's own server options are made for this one run: adding TLS to them changes nothing else.
        serverOptions ??= new TcpServerOptions();
        serverOptions.Tls = tls;
        return true;
    }

    /// <summary>Listens with <paramref name="driver"/> and serves until a stop signal.</summary>
    /// <param name="options">Where to listen.</param>
    /// <param name="driver">The driver (one instance: every listener is on the loop of <c>Run</c>, so it sees all events on one thread).</param>
    /// <param name="serverOptions">Server settings, or null for the defaults.</param>
    /// <param name="externalFormatIn">Input format of accepted sockets (left out: UTF-8).</param>
    /// <returns>
    /// The process exit code: 0 after a stop signal, 1 if a server could not listen or closed by itself, 2 if the TLS
    /// certificate could not be loaded.
    /// </returns>
    public static int Run(SampleOptions options, IEventDriver driver, TcpServerOptions? serverOptions = null,
        ExternalFormat externalFormatIn = default)
    {
        if (options.Tls && !AddTls(options, ref serverOptions))
        {
            return 2; // a bad command line, like the option errors
        }

        // Only notes that a stop was asked for; the loop's own signal handling does the stopping.
        using var stop = new StopSignal(announce: "stopping");

        // Open standard error now: a server that has run out of file descriptors (the fault most worth
        // reporting) could not open it later.
        _ = Console.Error;

        string? listenError = null;
        EventLoop.Run(() =>
        {
            var servers = new List<TcpServer>();
            try
            {
                if (options.UseTcp)
                {
                    servers.Add(TcpServer.Listen(driver, options.Host, options.Port, externalFormatIn: externalFormatIn, options: serverOptions));
                }

                if (options.UnixPath is { } path)
                {
                    servers.Add(TcpServer.ListenUnix(driver, path, externalFormatIn: externalFormatIn, options: serverOptions));
                }
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or System.IO.IOException or ArgumentException)
            {
                listenError = e.Message;
                servers.ForEach(s => s.Close(TimeSpan.Zero));
                return;
            }

            servers.ForEach(s => Console.WriteLine($"listening on {Describe(s)}"));
        }, new EventLoopOptions { ShutdownTimeout = s_stopGrace });

        if (listenError is not null)
        {
            Console.Error.WriteLine($"error: cannot listen: {listenError}");
            return 1;
        }

        // The runtime's signal handler (which stopped the loop) and ours run one after the other on the same
        // thread, in no fixed order: after a signal, Run can return before ours has run. So wait for it a moment
        // before deciding that the server closed by itself.
        if (!stop.Task.Wait(s_signalHandlerGrace))
        {
            // Run ends by itself only when nothing is open any more: a server fault closed the listeners.
            Console.Error.WriteLine("error: the server closed unexpectedly");
            return 1;
        }

        Console.WriteLine("stopped");
        return 0;
    }

    /// <summary>A parseable description of where a server listens: <c>127.0.0.1:7000</c> or <c>unix:/tmp/x.sock</c>.</summary>
    /// <param name="server">The server.</param>
    /// <returns>The description.</returns>
    public static string Describe(TcpServer server) => server.IsLocal
        ? $"unix:{server.LocalName}"
        : server.LocalName.Contains(':', StringComparison.Ordinal) ? $"[{server.LocalName}]:{server.Port}" : $"{server.LocalName}:{server.Port}";
}

/// <summary>Completes its <see cref="Task"/> on Ctrl+C (SIGINT) or SIGTERM, instead of letting the runtime kill the process.</summary>
public sealed class StopSignal : IDisposable
{
    private readonly TaskCompletionSource _signalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;

    private readonly string? _announce;

    /// <summary>Starts listening for the signals.</summary>
    /// <param name="announce">A line to print when the first signal arrives, or null for none.</param>
    public StopSignal(string? announce = null)
    {
        _announce = announce;
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
    }

    /// <summary>Completes when a stop signal arrives.</summary>
    public Task Task => _signalled.Task;

    /// <inheritdoc/>
    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
    }

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true; // we stop cleanly ourselves
        if (_signalled.TrySetResult() && _announce is not null)
        {
            Console.WriteLine(_announce);
        }
    }
}
