using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>Connection caps: beyond them a client is accepted and closed at once, and counted; the others go on.</summary>
public class LimitTests
{
    [Fact]
    public async Task A_client_beyond_MaxConnections_is_closed_at_once_and_counted_while_the_others_are_served()
    {
        await using var loop = new TestLoop();
        var driver = RecordingDriver.Echo();
        var options = new TcpServerOptions { MaxConnections = 2 };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: options);
        using var first = await Peer.ConnectAsync(server.Port!.Value);
        using var second = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection", 2);

        using (var third = await Peer.ConnectAsync(server.Port!.Value))
        {
            var (data, _) = await third.ReadToEndAsync(); // turned away: its connection ends with nothing sent
            Assert.Empty(data);
        }

        await Poll.UntilAsync(() => Task.FromResult(server.RejectedConnections == 1), "the rejection to be counted");
        Assert.Equal(2, driver.Log.Count("connection"));
        await second.SendAllAsync("still"u8.ToArray());
        Assert.Equal("still"u8.ToArray(), await second.ReadExactlyAsync(5));

        // A slot given back is taken by the next client.
        first.Dispose();
        await driver.Log.WaitForAsync("close");
        using var fourth = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection", 3);
        await fourth.SendAllAsync("in"u8.ToArray());
        Assert.Equal("in"u8.ToArray(), await fourth.ReadExactlyAsync(2));
        Assert.Equal(1, server.RejectedConnections);
        Assert.Equal(2, server.ClientCount);
    }

    [Fact]
    public async Task MaxConnectionsPerAddress_limits_each_remote_address_on_its_own()
    {
        await using var loop = new TestLoop();
        var driver = RecordingDriver.Echo();
        var options = new TcpServerOptions { MaxConnectionsPerAddress = 1 };
        await using var server = TcpServer.Listen(driver, "0.0.0.0", port: 0, loop: loop.Loop, options: options);
        using var fromOne = await ConnectFromAsync(IPAddress.Loopback, server.Port!.Value);
        await driver.Log.WaitForAsync("connection");

        using (var again = await ConnectFromAsync(IPAddress.Loopback, server.Port!.Value))
        {
            var (data, _) = await again.ReadToEndAsync();
            Assert.Empty(data);
        }

        using var fromTwo = await ConnectFromAsync(IPAddress.Parse("127.0.0.2"), server.Port!.Value);
        await driver.Log.WaitForAsync("connection", 2);
        await fromTwo.SendAllAsync("two"u8.ToArray());
        Assert.Equal("two"u8.ToArray(), await fromTwo.ReadExactlyAsync(3));
        Assert.Equal(1, server.RejectedConnections);
        Assert.Equal(new[] { "127.0.0.1", "127.0.0.2" }, driver.Log.Events.Where(e => e.Kind == "connection").Select(e => e.Socket!.RemoteName).ToArray());

        // The first address's slot comes back when its client leaves.
        fromOne.Dispose();
        await driver.Log.WaitForAsync("close");
        using var backAgain = await ConnectFromAsync(IPAddress.Loopback, server.Port!.Value);
        await driver.Log.WaitForAsync("connection", 3);
    }

    [Fact]
    public void The_default_connection_cap_keeps_descriptors_back_from_the_process_limit()
    {
        string line = File.ReadLines("/proc/self/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        int soft = int.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(soft, DescriptorLimit.OpenFiles);
        Assert.InRange(DescriptorLimit.Reserve, Math.Min(128, soft / 2), 1024);
        Assert.Equal(soft - DescriptorLimit.Reserve, DescriptorLimit.DefaultMaxConnections);
        Assert.Equal(DescriptorLimit.DefaultMaxConnections, new TcpServerOptions().MaxConnections);
        Assert.Null(new TcpServerOptions().MaxConnectionsPerAddress);
        Assert.Equal("MaxConnections", Assert.Throws<ArgumentOutOfRangeException>(() => new TcpServerOptions { MaxConnections = 0 }).ParamName);
        Assert.Equal("MaxConnectionsPerAddress", Assert.Throws<ArgumentOutOfRangeException>(() => new TcpServerOptions { MaxConnectionsPerAddress = 0 }).ParamName);
    }

    private static async Task<Socket> ConnectFromAsync(IPAddress local, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(local, 0));
        using var cts = new CancellationTokenSource(EventLog.DefaultTimeout);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
        return socket;
    }

    [Fact]
    public async Task Out_of_descriptors_the_server_turns_the_waiting_clients_away_with_its_spare_and_serves_again_after_the_pause()
    {
        // The EMFILE is injected (the Reliability tests exhaust descriptors for real, in a child process); the shedding
        // is real: the loop gives up its spare descriptor, accepts and closes each waiting client, and takes the spare
        // again, so the second run of the same failure can shed too.
        await using var loop = new TestLoop();
        var driver = RecordingDriver.EchoHandlingServerErrors();
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        await driver.Log.WaitForAsync("listen");
        int port = server.Port!.Value;
        for (int run = 1; run <= 2; run++)
        {
            await loop.OnLoop(() => server.InjectedAcceptErrors = new(new[] { Conserv.Interop.Libc.EMFILE }));
            var waiting = await loop.Loop.ConnectWhileHeldAsync(port, 3);

            foreach (var client in waiting)
            {
                using (client)
                {
                    var (data, _) = await client.ReadToEndAsync(); // turned away: its connection ends with nothing sent
                    Assert.Empty(data);
                }
            }

            Assert.Equal(3 * run, await loop.OnLoop(() => server.RejectedConnections));
            using var served = await Peer.ConnectAsync(port); // once the pause is over
            await driver.Log.WaitForAsync("connection", run);
            await served.SendAllAsync("in"u8.ToArray());
            Assert.Equal("in"u8.ToArray(), await served.ReadExactlyAsync(2));
        }

        var reports = driver.Log.Events.Where(e => e.Kind == "serverError").Select(e => e.Error!.Message).ToArray();
        Assert.Equal(2, reports.Length); // one per run of failures: a success came in between
        Assert.All(reports, message => Assert.Equal("accept: Too many open files (EMFILE)", message));
        Assert.Equal(2, await loop.OnLoop(() => server.AcceptFailures));
        Assert.Equal(2, driver.Log.Count("connection"));

        // The spare taken again is /dev/null, closed on exec like every descriptor the runtime opens.
        int spare = await loop.OnLoop(() => loop.Loop.Spare.Descriptor);
        Assert.Equal("/dev/null", new FileInfo($"/proc/self/fd/{spare}").LinkTarget);
        Assert.NotEqual(0, FdInfo.OpenFlags(spare) & FdInfo.CloseOnExec);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task One_failure_turns_away_at_most_64_waiting_clients_and_the_rest_are_served_after_the_pause()
    {
        // A bounded batch: shedding must not hold the loop for as long as clients keep arriving.
        await using var loop = new TestLoop();
        var driver = new RecordingDriver { OnServerErr = (_, _) => ValueTask.FromResult(true) };
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        await driver.Log.WaitForAsync("listen");
        await loop.OnLoop(() => server.InjectedAcceptErrors = new(new[] { Conserv.Interop.Libc.EMFILE }));
        var waiting = await loop.Loop.ConnectWhileHeldAsync(server.Port!.Value, 70);
        try
        {
            await driver.Log.WaitForAsync("connection", 6);
            Assert.Equal(64, await loop.OnLoop(() => server.RejectedConnections));
            Assert.Equal(6, await loop.OnLoop(() => server.ClientCount));
        }
        finally
        {
            Array.ForEach(waiting, socket => socket.Dispose());
            await server.DisposeAsync();
        }
    }

    [Fact]
    public void Each_slot_is_given_back_once_and_an_address_that_left_keeps_no_entry()
    {
        var limits = new ConnectionLimits(new TcpServerOptions { MaxConnections = 5, MaxConnectionsPerAddress = 2 });
        var a = IPAddress.Parse("192.0.2.1");
        var b = IPAddress.Parse("192.0.2.2");
        var c = IPAddress.Parse("192.0.2.3");
        Assert.True(limits.TryAdmit(a));
        Assert.True(limits.TryAdmit(a));
        Assert.False(limits.TryAdmit(a)); // two per address
        Assert.True(limits.TryAdmit(b));
        limits.Release(a); // a holds one: one more fits, not two
        Assert.True(limits.TryAdmit(a));
        Assert.False(limits.TryAdmit(a));
        limits.Release(a);
        limits.Release(a);
        Assert.Equal(1, limits.AddressesHeld); // a left: only b has an entry

        Assert.True(limits.TryAdmit(null)); // Unix-domain clients count against the total only
        Assert.True(limits.TryAdmit(null));
        Assert.True(limits.TryAdmit(a));
        Assert.True(limits.TryAdmit(a)); // five in all
        Assert.False(limits.TryAdmit(c));
        Assert.False(limits.TryAdmit(null));
        limits.Release(null);
        Assert.True(limits.TryAdmit(c));
        Assert.Equal(3, limits.AddressesHeld);

        var totalOnly = new ConnectionLimits(new TcpServerOptions { MaxConnections = 2 });
        Assert.True(totalOnly.TryAdmit(a));
        Assert.True(totalOnly.TryAdmit(a));
        Assert.False(totalOnly.TryAdmit(b));
        Assert.Equal(0, totalOnly.AddressesHeld); // no per-address limit: no per-address bookkeeping
    }

    [Theory]
    [InlineData(100, 50)] // never more than half
    [InlineData(256, 128)]
    [InlineData(1000, 128)] // at least 128
    [InlineData(5000, 500)] // a tenth
    [InlineData(20000, 1024)] // at most 1,024
    [InlineData(int.MaxValue, 1024)]
    public void The_descriptor_reserve_is_a_tenth_of_the_limit_within_its_bounds(int openFiles, int reserve) =>
        Assert.Equal(reserve, DescriptorLimit.ReserveFor(openFiles));

    [Fact]
    public async Task Accepting_pauses_twice_as_long_after_each_failure_in_a_row_up_to_a_second_and_the_listener_leaves_epoll_meanwhile()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var loop = new TestLoop(new EventLoopOptions { TimeProvider = clock });
        var driver = new RecordingDriver { OnServerErr = (_, _) => ValueTask.FromResult(true) };
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        await driver.Log.WaitForAsync("listen");
        const int Failures = 7;
        await loop.OnLoop(() => server.InjectedAcceptErrors = new(Enumerable.Repeat(Conserv.Interop.Libc.ENOBUFS, Failures)));
        int epoll = loop.Loop.PollDescriptor, listener = server.ListenerDescriptor;
        Assert.Equal(FdInfo.EpollIn, FdInfo.EpollInterest(epoll, listener)! & FdInfo.EpollIn);

        using var peer = await Peer.ConnectAsync(server.Port!.Value); // waits in the backlog through every failure
        var pauses = new List<double>();
        for (int failure = 1; failure <= Failures; failure++)
        {
            await Poll.UntilAsync(loop.Loop, () => server.AcceptFailures == failure, $"accept failure {failure}");
            var pause = await loop.OnLoop(() => loop.Loop.TimeUntilNextTimer);
            pauses.Add(pause!.Value.TotalMilliseconds);
            Assert.Equal(0u, FdInfo.EpollInterest(epoll, listener)! & FdInfo.EpollIn); // not woken by the waiting client meanwhile
            clock.Advance(pause.Value);
        }

        await driver.Log.WaitForAsync("connection");
        Assert.Equal(new double[] { 50, 100, 200, 400, 800, 1000, 1000 }, pauses);
        Assert.Single(driver.Log.Events, e => e.Kind == "serverError"); // one report for the whole run
        Assert.Equal(FdInfo.EpollIn, FdInfo.EpollInterest(epoll, listener)! & FdInfo.EpollIn);
        await server.DisposeAsync();
    }

    [Theory]
    [InlineData("takes it")]
    [InlineData("declines it")]
    [InlineData("throws")]
    [InlineData("is missing")]
    public async Task A_transient_accept_failure_reaches_UnhandledException_unless_a_server_error_handler_takes_it(string handler)
    {
        await using var loop = new TestLoop();
        var unhandled = new System.Collections.Concurrent.ConcurrentQueue<LoopExceptionEventArgs>();
        loop.Loop.UnhandledException += (_, e) => unhandled.Enqueue(e);
        var thrown = new CustomTestException("from the server error handler");
        var recording = new RecordingDriver
        {
            OnServerErr = (_, _) => handler switch
            {
                "takes it" => ValueTask.FromResult(true),
                "declines it" => ValueTask.FromResult(false),
                _ => throw thrown,
            },
        };
        IEventDriver driver = handler == "is missing" ? new SocketOnlyDriver() : recording;
        var server = await loop.OnLoop(() => TcpServer.Listen(driver, port: 0, loop: loop.Loop));
        await loop.OnLoop(() => server.InjectedAcceptErrors = new(new[] { Conserv.Interop.Libc.ENOMEM }));
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await Poll.UntilAsync(loop.Loop, () => server.AcceptFailures == 1 && server.ClientCount == 1, "the failure, then the accept after the pause");

        var reports = unhandled.ToArray();
        switch (handler)
        {
            case "takes it":
                Assert.Empty(reports);
                break;
            case "throws":
                Assert.Same(thrown, Assert.Single(reports).Exception);
                break;
            default:
                var report = Assert.Single(reports);
                Assert.Equal(SocketError.NoBufferSpaceAvailable, Assert.IsType<SocketException>(report.Exception).SocketErrorCode);
                Assert.Same(server, report.Server);
                break;
        }

        // The handler's scope ended with it: no server event runs now.
        Assert.IsType<InvalidOperationException>(await loop.OnLoop(() => Record.Exception(() => TcpServer.Current)));
        Assert.False(server.IsClosed);
        await server.DisposeAsync();
    }

    /// <summary>A driver with socket handlers only: its servers have no error handler of their own.</summary>
    private sealed class SocketOnlyDriver : ISocketEventDriver
    {
        public SocketDriverFeatures Features => SocketDriverFeatures.ByteData;

        public ValueTask OnSocketData(TcpSocket socket, ReadOnlyMemory<byte> data) => default;

        public ValueTask<bool> OnSocketError(TcpSocket socket, Exception error) => new(false);
    }
}
