using System;
using System.Linq;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>Signals reach the whole test process, so the tests that send them run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SignalCollection
{
    public const string Name = "signals sent to the test process";
}

/// <summary>
/// <see cref="EventLoop.Run(Action, EventLoopOptions?)"/> stops on SIGTERM (and SIGINT) as documented: the first signal
/// drains gracefully within <see cref="EventLoopOptions.ShutdownTimeout"/>, a second one stops at once. The signal is
/// sent to this test process; no other test runs meanwhile (so no other <c>Run</c> has signals registered), and each
/// test holds a registration of its own that keeps the runtime's default action (ending the process) from running.
/// </summary>
[Collection(SignalCollection.Name)]
public sealed class SignalStopTests
{

    [Fact]
    public async Task The_first_SIGTERM_stops_a_Run_loop_gracefully_and_queued_output_still_reaches_the_peer()
    {
        using var keepProcess = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => context.Cancel = true);
        const int size = 8 * 1024 * 1024; // more than the kernel buffers hold for a peer that does not read
        var (server, notReading) = await RunningServer.StartWithAPeerNotReadingAsync(size);
        using var peer = notReading;

        // Draining: the listener is closed, but Run waits for the queued output (the drain period is ten minutes).
        await RaiseAndSeeTheDrainBeginAsync(server);
        var (data, reset) = await peer.ReadToEndAsync();
        Assert.False(reset);
        Assert.Equal(size, data.Length);
        await server.Run.WithTimeout("Run to return after the drain");
        Assert.Equal(new[] { "close", "serverClose" }, server.Driver.Log.Events.Select(e => e.Kind).Where(k => k is "close" or "serverClose").ToArray());
        Assert.Null(server.Driver.Log.First("close").Error);
    }

    [Fact]
    public async Task A_second_SIGTERM_while_draining_stops_the_Run_loop_at_once()
    {
        using var keepProcess = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => context.Cancel = true);
        const int size = 32 * 1024 * 1024;
        var (server, notReading) = await RunningServer.StartWithAPeerNotReadingAsync(size);
        using var peer = notReading;

        await RaiseAndSeeTheDrainBeginAsync(server);
        Raise(Signals.SIGTERM);

        // Only the second signal can end Run within the wait: the drain period is ten minutes and the peer reads nothing.
        await server.Run.WithTimeout("Run to return after the second signal");
        var (data, _) = await peer.ReadToEndAsync();
        Assert.True(data.Length < size, "the connection was not cut short");
        Assert.Equal(new[] { "close", "serverClose" }, server.Driver.Log.Events.Select(e => e.Kind).Where(k => k is "close" or "serverClose").ToArray());
    }

    /// <summary>Sends SIGTERM and waits for the drain to begin: the listener closed, Run still waiting for the queued output.</summary>
    private static async Task RaiseAndSeeTheDrainBeginAsync(RunningServer server)
    {
        Raise(Signals.SIGTERM);
        await Poll.UntilAsync(() => Task.FromResult(!IsListening(server.Port)), "the listener to close");
        Assert.False(server.Run.IsCompleted, "Run returned before the queued output was sent");
    }

    private static void Raise(int signal) =>
        Assert.Equal(0, Signals.Kill(Environment.ProcessId, signal));

    // Whether a socket listens on the port (from /proc/net/tcp, state 0A), without connecting to it: a probe
    // connection would be accepted by a listener that is still open and become a client of its own.
    private static bool IsListening(int port) =>
        System.IO.File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Any(fields => fields[3] == "0A" && int.Parse(fields[1].Split(':')[1], System.Globalization.NumberStyles.HexNumber) == port);

    /// <summary>A server on a loop run by <see cref="EventLoop.Run(Action, EventLoopOptions?)"/>, which writes <c>size</c> bytes to each client that connects.</summary>
    private sealed record RunningServer(EventLoop Loop, int Port, RecordingDriver Driver, Task Run)
    {
        /// <summary>Starts the server and connects a peer that reads nothing, once output waits for it.</summary>
        public static async Task<(RunningServer Server, Socket Peer)> StartWithAPeerNotReadingAsync(int size)
        {
            var server = await StartAsync(size);
            var peer = await Peer.ConnectAsync(server.Port);
            await server.Driver.Log.WaitForAsync("connection");
            await Poll.UntilAsync(server.Loop, () => server.Driver.Log.First("connection").Socket!.BytesQueued > 0, "output to wait for the peer");
            return (server, peer);
        }

        private static async Task<RunningServer> StartAsync(int size)
        {
            var driver = new RecordingDriver
            {
                OnConnection = (_, client) =>
                {
                    client.OutputLimit = null;
                    client.Write(new byte[size]);
                    return default;
                },
            };
            EventLoop? loop = null;
            TcpServer? server = null;
            using var listening = new ManualResetEventSlim();
            var options = new EventLoopOptions { ShutdownTimeout = TimeSpan.FromMinutes(10) };
            var run = Task.Factory.StartNew(
                () => EventLoop.Run(
                    () =>
                    {
                        loop = EventLoop.Current;
                        server = TcpServer.Listen(driver, port: 0);
                        listening.Set();
                    },
                    options),
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
            await Task.Run(() => Assert.True(listening.Wait(EventLog.DefaultTimeout), "the server to listen"));
            return new RunningServer(loop!, server!.Port!.Value, driver, run);
        }
    }
}
