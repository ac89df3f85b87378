using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading.Tasks;

namespace Conserv.Samples;

/// <summary>
/// Runs a sample server: listens where <see cref="SampleOptions"/> say, prints one
/// <c>listening on …</c> line per listener, and on Ctrl+C (SIGINT) or SIGTERM closes the servers and returns 0.
/// </summary>
public static class SampleHost
{
    /// <summary>How long a clean stop may take before the remaining connections are cut.</summary>
    private static readonly TimeSpan s_stopGrace = TimeSpan.FromSeconds(5);

    /// <summary>Listens with <paramref name="driver"/> and serves until a stop signal.</summary>
    /// <param name="options">Where to listen.</param>
    /// <param name="driver">The driver (one instance: every listener is put on the same loop, so it sees all events on one thread).</param>
    /// <param name="serverOptions">Server settings, or null for the defaults.</param>
    /// <param name="externalFormatIn">Input format of accepted sockets (left out: UTF-8).</param>
    /// <returns>The process exit code.</returns>
    public static async Task<int> RunAsync(SampleOptions options, IEventDriver driver, TcpServerOptions? serverOptions = null,
        ExternalFormat externalFormatIn = default)
    {
        using var stop = new StopSignal();

        // Open standard error now: a server that has run out of file descriptors (the fault most worth
        // reporting) could not open it later.
        _ = Console.Error;

        // One loop for all listeners: the driver instance (and any state it shares) stays on one thread.
        var loop = EventLoopGroup.Default.Next();
        var servers = new List<TcpServer>();
        try
        {
            if (options.UseTcp)
            {
                var server = TcpServer.Listen(driver, options.Host, options.Port, externalFormatIn: externalFormatIn, loop: loop, options: serverOptions);
                servers.Add(server);
                Console.WriteLine($"listening on {Describe(server)}");
            }

            if (options.UnixPath is { } path)
            {
                var server = TcpServer.ListenUnix(driver, path, externalFormatIn: externalFormatIn, loop: loop, options: serverOptions);
                servers.Add(server);
                Console.WriteLine($"listening on {Describe(server)}");
            }
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or System.IO.IOException or ArgumentException)
        {
            Console.Error.WriteLine($"error: cannot listen: {e.Message}");
            await CloseAll(servers);
            return 1;
        }

        var allClosed = Task.WhenAll(servers.ConvertAll(s => s.Closed));
        await Task.WhenAny(stop.Task, allClosed);
        if (!stop.Task.IsCompleted)
        {
            // Only a server fault closes a listener without being asked to.
            Console.Error.WriteLine("error: the server closed unexpectedly");
            await CloseAll(servers);
            return 1;
        }

        Console.WriteLine("stopping");
        await CloseAll(servers);
        Console.WriteLine("stopped");
        return 0;
    }

    /// <summary>A parseable description of where a server listens: <c>127.0.0.1:7000</c> or <c>unix:/tmp/x.sock</c>.</summary>
    /// <param name="server">The server.</param>
    /// <returns>The description.</returns>
    public static string Describe(TcpServer server) => server.IsLocal
        ? $"unix:{server.LocalName}"
        : server.LocalName.Contains(':', StringComparison.Ordinal) ? $"[{server.LocalName}]:{server.Port}" : $"{server.LocalName}:{server.Port}";

    private static async Task CloseAll(List<TcpServer> servers)
    {
        var closing = Task.WhenAll(servers.ConvertAll(s => s.DisposeAsync().AsTask()));
        if (await Task.WhenAny(closing, Task.Delay(s_stopGrace)) != closing)
        {
            // A client that never reads can hold a graceful close forever: stopping the loops aborts what is left.
            Console.WriteLine("clients did not finish in time; aborting them");
            EventLoopGroup.Default.Stop();
        }
    }
}

/// <summary>Completes its <see cref="Task"/> on Ctrl+C (SIGINT) or SIGTERM, instead of letting the runtime kill the process.</summary>
public sealed class StopSignal : IDisposable
{
    private readonly TaskCompletionSource _signalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;

    /// <summary>Starts listening for the signals.</summary>
    public StopSignal()
    {
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
        _signalled.TrySetResult();
    }
}
