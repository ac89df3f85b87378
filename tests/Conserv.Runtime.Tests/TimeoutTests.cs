using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Testing;

namespace Conserv.Runtime.Tests;

/// <summary>Idle time-outs, connect time-outs and deadlines: conditions raised through error dispatch.</summary>
public class TimeoutTests
{
    [Fact]
    public async Task A_silent_connection_gets_an_IdleTimeoutException_and_is_dropped_while_a_chatty_one_stays()
    {
        await using var loop = new TestLoop();
        var driver = RecordingDriver.Echo();
        var idleTimeout = TimeSpan.FromSeconds(2);
        var options = new TcpServerOptions { IdleTimeout = idleTimeout };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: options);
        var sinceConnect = Stopwatch.StartNew(); // started before the server can accept: it can only overstate the idle period
        using var silent = await Peer.ConnectAsync(server.Port!.Value);
        var silentSide = await driver.Log.SocketOfFirstAsync("connection");
        using var chatty = await Peer.ConnectAsync(server.Port!.Value);

        // The chatty peer talks every 100 ms, twenty times as often as the time-out, until the silent one is gone
        // (at most 30 s: the assertions below then say what went wrong).
        while (!await loop.OnLoop(() => silentSide.IsClosed) && sinceConnect.Elapsed < TimeSpan.FromSeconds(30))
        {
            await chatty.SendAllAsync(new byte[] { 7 });
            Assert.Equal(7, (await chatty.ReadExactlyAsync(1))[0]);
            await Task.Delay(100);
        }

        // Not before its time: a lower bound only, which a slow machine cannot break (the clock runs from before the connect).
        Assert.True(sinceConnect.Elapsed >= idleTimeout * 0.75, $"the silent connection was dropped {sinceConnect.Elapsed.TotalMilliseconds:F0} ms after it connected; the time-out is {idleTimeout.TotalMilliseconds} ms");
        var error = driver.Log.Events.Single(e => e.Kind == "error");
        Assert.Same(silentSide, error.Socket);
        var idle = Assert.IsType<IdleTimeoutException>(error.Error);
        Assert.Equal(idleTimeout, idle.Timeout);
        Assert.IsType<IdleTimeoutException>(driver.Log.Events.Single(e => e.Kind == "close").Error);
        var (nothing, _) = await silent.ReadToEndAsync(); // the peer sees its connection end
        Assert.Empty(nothing);

        // The chatty connection is untouched.
        await chatty.SendAllAsync(new byte[] { 8 });
        Assert.Equal(8, (await chatty.ReadExactlyAsync(1))[0]);
    }

    [Fact]
    public async Task A_handled_idle_timeout_keeps_the_connection_and_starts_again()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            OnError = (_, e) => new ValueTask<bool>(e is TimeoutException),
            OnData = (s, d) => { s.Write(d.Span); return default; },
        };
        var options = new TcpServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(200) };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: options);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);

        await driver.Log.WaitForAsync("error", 3);
        Assert.All(driver.Log.Events.Where(e => e.Kind == "error"), e => Assert.IsType<IdleTimeoutException>(e.Error));
        Assert.Equal(0, driver.Log.Count("close"));
        await peer.SendAllAsync("still here"u8.ToArray());
        Assert.Equal("still here"u8.ToArray(), await peer.ReadExactlyAsync(10));
    }

    [Fact]
    public async Task The_idle_timeout_can_be_changed_or_switched_off_per_socket_at_run_time()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            // The first client switches its time-out off; the second shortens it.
            OnConnection = (server, client) =>
            {
                client.IdleTimeout = server.ClientCount == 1 ? null : TimeSpan.FromMilliseconds(100);
                return default;
            },
        };
        var options = new TcpServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(600) };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: options);
        using var first = await Peer.ConnectAsync(server.Port!.Value);
        var firstSide = await driver.Log.SocketOfFirstAsync("connection");
        using var second = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("close");
        var closed = driver.Log.First("close");
        Assert.NotSame(firstSide, closed.Socket);
        Assert.IsType<IdleTimeoutException>(closed.Error);
        Assert.Equal(TimeSpan.FromMilliseconds(100), ((IdleTimeoutException)closed.Error!).Timeout);

        // Well past the server's own 600 ms, the first client is still open.
        await Task.Delay(1500);
        Assert.False(await loop.OnLoop(() => firstSide.IsClosed));
        Assert.Null(await loop.OnLoop(() => firstSide.IdleTimeout));
        Assert.Equal("IdleTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => firstSide.IdleTimeout = TimeSpan.Zero).ParamName);
    }

    [Fact]
    public async Task Accepted_sockets_time_out_after_five_idle_minutes_by_default_and_clients_never()
    {
        Assert.Equal(TimeSpan.FromMinutes(5), new TcpServerOptions().IdleTimeout);
        Assert.Null(new TcpSocketOptions().IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), new TcpSocketOptions().ConnectTimeout);

        await using var loop = new TestLoop();
        var driver = new RecordingDriver();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        var clientDriver = new RecordingDriver();
        var client = TcpSocket.Connect(clientDriver, "127.0.0.1", server.Port!.Value, loop: loop.Loop);
        var serverSide = await driver.Log.SocketOfFirstAsync("connection");
        await clientDriver.Log.WaitForAsync("connect");
        Assert.Equal(TimeSpan.FromMinutes(5), await loop.OnLoop(() => serverSide.IdleTimeout));
        Assert.Null(await loop.OnLoop(() => client.IdleTimeout));
        await client.DisposeAsync().WithTimeout("client close");
    }

    [Fact]
    public async Task A_connect_that_gets_no_answer_fails_with_ConnectTimeoutException_then_closes()
    {
        // A listener that never accepts and whose backlog is full: the kernel drops further SYNs, so a connect
        // to it neither succeeds nor fails.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                using var attempt = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
                try
                {
                    await filler.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), attempt.Token);
                }
                catch (OperationCanceledException)
                {
                    break; // this one hangs: the backlog is full
                }
            }

            await using var loop = new TestLoop();
            var driver = new RecordingDriver();
            var options = new TcpSocketOptions { ConnectTimeout = TimeSpan.FromMilliseconds(500) };
            var socket = TcpSocket.Connect(driver, "127.0.0.1", port, loop: loop.Loop, options: options);
            await driver.Log.WaitForAsync("close");

            Assert.Equal(new[] { "error", "close" }, driver.Log.KindsOf(socket));
            var timeout = Assert.IsType<ConnectTimeoutException>(driver.Log.First("error").Error);
            Assert.Contains($"127.0.0.1:{port}", timeout.Message);
            Assert.IsType<ConnectTimeoutException>(driver.Log.First("close").Error);
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public async Task A_deadline_raises_DeadlineExceededException_unless_cleared_in_time()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            // "The request must be complete within 400 ms": armed on connection, cleared by a full request ('!').
            OnConnection = (_, client) =>
            {
                client.SetDeadline(TimeSpan.FromMilliseconds(400));
                return default;
            },
            OnData = (s, d) =>
            {
                if (d.Span.IndexOf((byte)'!') >= 0)
                {
                    s.ClearDeadline();
                    s.Write("ok"u8);
                }

                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var slow = await Peer.ConnectAsync(server.Port!.Value);
        var slowSide = await driver.Log.SocketOfFirstAsync("connection");
        using var prompt = await Peer.ConnectAsync(server.Port!.Value);
        await prompt.SendAllAsync("req!"u8.ToArray());
        Assert.Equal("ok"u8.ToArray(), await prompt.ReadExactlyAsync(2));
        await slow.SendAllAsync("re"u8.ToArray()); // never completes its request

        await driver.Log.WaitForAsync("close");
        var error = driver.Log.Events.Single(e => e.Kind == "error");
        Assert.Same(slowSide, error.Socket);
        Assert.Equal(TimeSpan.FromMilliseconds(400), Assert.IsType<DeadlineExceededException>(error.Error).Timeout);
        Assert.Same(slowSide, driver.Log.First("close").Socket);

        // The prompt client's deadline was cleared: well past it, it is still served.
        await Task.Delay(800);
        await prompt.SendAllAsync("again!"u8.ToArray());
        Assert.Equal("ok"u8.ToArray(), await prompt.ReadExactlyAsync(2));
        Assert.Equal(1, driver.Log.Count("error"));
    }

    [Fact]
    public async Task A_handled_deadline_is_armed_again_for_the_same_duration()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            OnConnection = (_, client) =>
            {
                client.SetDeadline(TimeSpan.FromMilliseconds(150));
                return default;
            },
            OnError = (_, e) => new ValueTask<bool>(e is DeadlineExceededException),
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("error", 3);
        Assert.Equal(0, driver.Log.Count("close"));
        Assert.Equal("timeout", Assert.Throws<ArgumentOutOfRangeException>(() => driver.Log.First("error").Socket!.SetDeadline(TimeSpan.FromSeconds(-1))).ParamName);
    }

    [Fact]
    public async Task Error_handlers_specialize_on_the_kind_of_time_out()
    {
        // On the virtual clock, so that each deadline (150 ms) runs out before the idle time-out (500 ms) however
        // busy the machine is: a loop held up past both would otherwise find them due together.
        await using var network = new TestNetwork();
        var handledAs = new List<string>();
        var driver = new RecordingDriver
        {
            OnError = (_, e) =>
            {
                handledAs.Add(e switch
                {
                    DeadlineExceededException => "deadline",
                    IdleTimeoutException => "idle",
                    _ => "other",
                });
                return new ValueTask<bool>(e is DeadlineExceededException); // an idle time-out is left to the default: drop
            },
        };
        var peer = await network.AcceptAsync(driver, new TcpSocketOptions { IdleTimeout = TimeSpan.FromMilliseconds(500) });
        peer.Socket.SetDeadline(TimeSpan.FromMilliseconds(150));
        await network.AdvanceAsync(TimeSpan.FromMilliseconds(400));
        Assert.Equal(new[] { "deadline", "deadline" }, handledAs); // handled: armed again each time, the connection goes on
        Assert.False(peer.Socket.IsClosed);

        await network.AdvanceAsync(TimeSpan.FromMilliseconds(100));
        Assert.Equal(new[] { "deadline", "deadline", "deadline", "idle" }, handledAs);
        Assert.True(peer.Socket.IsClosed);
        Assert.IsType<IdleTimeoutException>(driver.Log.First("close").Error);
    }

    // ---- on the in-memory network's fake clock: each step exact ----

    [Fact]
    public async Task A_deadline_moved_earlier_or_later_runs_out_once_at_its_latest_time_and_keeps_one_timer()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver { OnError = (_, e) => new ValueTask<bool>(e is DeadlineExceededException) };
        var peer = await network.AcceptAsync(driver, new TcpSocketOptions { IdleTimeout = null });
        var socket = peer.Socket;
        Task<int> TimersAsync() => network.Loop.OnLoopAsync(() => network.Loop.ActiveTimers);
        Assert.Equal(0, await TimersAsync());

        socket.SetDeadline(TimeSpan.FromSeconds(10));
        socket.SetDeadline(TimeSpan.FromSeconds(1)); // earlier: the pending timer is replaced, not kept beside it
        await network.SettleAsync();
        Assert.Equal(1, await TimersAsync());
        await network.AdvanceAsync(TimeSpan.FromSeconds(1));
        var first = Assert.IsType<DeadlineExceededException>(Assert.Single(driver.Log.Events, e => e.Kind == "error").Error);
        Assert.Equal(TimeSpan.FromSeconds(1), first.Timeout);
        Assert.Equal("The deadline of 00:00:01 ran out.", first.Message);

        // Handled: armed again for a second. Moved later, the pending timer fires first and waits out the rest.
        socket.SetDeadline(TimeSpan.FromSeconds(5));
        await network.SettleAsync();
        await network.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(1, driver.Log.Count("error"));
        Assert.Equal(1, await TimersAsync());
        await network.AdvanceAsync(TimeSpan.FromSeconds(4));
        Assert.Equal(2, driver.Log.Count("error"));
        Assert.Equal(TimeSpan.FromSeconds(5), Assert.IsType<DeadlineExceededException>(driver.Log.Events.Last(e => e.Kind == "error").Error).Timeout);

        socket.ClearDeadline();
        await network.AdvanceAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, driver.Log.Count("error"));

        socket.Abort();
        await peer.Closed.WaitAsync(EventLog.DefaultTimeout);
        socket.SetDeadline(TimeSpan.FromSeconds(1)); // on a closed socket: nothing to arm
        await network.SettleAsync();
        Assert.Equal(0, await TimersAsync());
    }

    [Fact]
    public async Task A_client_that_connected_in_time_keeps_no_connect_timer()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver();
        var peer = await network.ConnectAsync(driver, options: new TcpSocketOptions { ConnectTimeout = TimeSpan.FromSeconds(10) });
        await driver.Log.WaitForAsync("connect");
        await network.SettleAsync();
        Assert.Equal(0, await network.Loop.OnLoopAsync(() => network.Loop.ActiveTimers));
        await network.AdvanceAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, driver.Log.Count("error"));
        Assert.False(peer.Socket.IsClosed);
    }

    [Fact]
    public async Task A_TLS_handshake_that_does_not_complete_in_time_ends_with_HandshakeTimeoutException_and_an_abort_mid_handshake_leaves_no_timer()
    {
        await using var network = new TestNetwork();
        var options = new TcpSocketOptions { IdleTimeout = null, TlsHandshakeTimeout = TimeSpan.FromSeconds(10) };
        var silent = new RecordingDriver();
        var peer = await network.AcceptAsync(silent, options, tls: TestCertificates.ServerOptions()); // the peer never says hello
        await network.AdvanceAsync(TimeSpan.FromSeconds(10));
        await peer.Closed.WaitAsync(EventLog.DefaultTimeout);
        var timedOut = Assert.IsType<HandshakeTimeoutException>(silent.Log.First("error").Error);
        Assert.Equal("The TLS handshake did not complete within 00:00:10.", timedOut.Message);

        var aborted = await network.AcceptAsync(new RecordingDriver(), options, tls: TestCertificates.ServerOptions());
        Assert.Equal(1, await network.Loop.OnLoopAsync(() => network.Loop.ActiveTimers)); // the handshake's
        aborted.Socket.Abort();
        await aborted.Closed.WaitAsync(EventLog.DefaultTimeout);
        Assert.Equal(0, await network.Loop.OnLoopAsync(() => network.Loop.ActiveTimers));
    }
}
