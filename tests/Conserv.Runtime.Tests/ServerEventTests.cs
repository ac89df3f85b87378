using System;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

/// <summary>
/// A server's own events and states: <see cref="TcpServer.Current"/>, handlers that fail now or after an await, its
/// error handler's outcomes, pausing around its start and close, a drain period, its arguments and its name.
/// </summary>
public class ServerEventTests
{
    private static string? CurrentServerOrNull()
    {
        try
        {
            return TcpServer.Current.ToString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    [Fact]
    public async Task TcpServer_Current_is_the_server_only_while_one_of_its_events_runs()
    {
        await using var loop = new TestLoop();
        TcpServer? other = null;
        string? inListen = null, inConnection = null, inData = "unset", inOthersClose = null, afterOthersClose = "unset";
        var otherDriver = new RecordingDriver { OnServerClosed = s => inOthersClose = CurrentServerOrNull() };
        var driver = new RecordingDriver
        {
            OnListen = s =>
            {
                inListen = CurrentServerOrNull();
                return default;
            },
            OnConnection = (_, _) =>
            {
                inConnection = CurrentServerOrNull();
                return default;
            },
            OnData = (_, _) =>
            {
                inData = CurrentServerOrNull(); // a socket event of a later turn, not a server event
                other!.Close(); // on the loop: the other server (no clients) closes now, its close event inside this handler
                afterOthersClose = CurrentServerOrNull();
                return default;
            },
        };
        other = TcpServer.Listen(otherDriver, port: 0, loop: loop.Loop);
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection");
        await peer.SendAllAsync("x"u8.ToArray());
        await otherDriver.Log.WaitForAsync("serverClose");
        await loop.Loop.Barrier();

        Assert.Equal(server.ToString(), inListen);
        Assert.Equal(server.ToString(), inConnection);
        Assert.Null(inData);
        Assert.Equal(other.ToString(), inOthersClose);
        Assert.Null(afterOthersClose);
        Assert.StartsWith("TcpServer.Current is only set while a server event runs", Assert.Throws<InvalidOperationException>(() => TcpServer.Current).Message);
    }

    [Theory]
    [InlineData("returned")]
    [InlineData("after an await")]
    public async Task A_connection_handler_that_fails_is_a_server_error_and_closes_the_server(string how)
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver
        {
            OnConnection = how == "returned"
                ? (_, _) => ValueTask.FromException(new CustomTestException(how))
                : async (_, _) =>
                {
                    await Task.Yield();
                    throw new CustomTestException(how);
                },
        };
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        int port = server.Port!.Value;
        using var peer = await Peer.ConnectAsync(port);

        await driver.Log.WaitForAsync("serverClose");
        Assert.Equal(how, Assert.IsType<CustomTestException>(driver.Log.First("serverError").Error).Message);
        Assert.True(server.IsClosed);
        Assert.Null(await loop.OnLoop(CurrentServerOrNull)); // the dispatch from the handler's continuation put Current back
        await peer.ReadToEndAsync(); // the client was closed with the server: its stream ends
        await Assert.ThrowsAsync<SocketException>(() => Peer.ConnectAsync(port)); // and nobody listens any more
    }

    [Fact]
    public async Task A_connection_handler_that_closes_the_server_ends_its_accepts_in_that_turn_without_an_error()
    {
        // The accept loop must stop at once: its listener is closed, and one more accept would fail with EBADF (an
        // error for the server's handler while it closes, or reported as unhandled once it has).
        await using var loop = new TestLoop();
        var unhandled = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        loop.Loop.UnhandledException += (_, e) => unhandled.Enqueue(e.Exception);
        var driver = new RecordingDriver
        {
            OnConnection = (server, _) =>
            {
                server.Close();
                return default;
            },
        };
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);

        await peer.ReadToEndAsync(); // the client closes with the server
        await driver.Log.WaitForAsync("serverClose");
        await loop.Loop.Barrier();
        Assert.Equal(0, driver.Log.Count("serverError"));
        Assert.Empty(unhandled);
        Assert.Equal(1, driver.Log.Count("connection"));
    }

    [Fact]
    public async Task An_async_connection_handler_that_fails_after_its_server_closed_is_reported_as_unhandled()
    {
        await using var loop = new TestLoop();
        var late = new LateFailure(loop.Loop);
        var driver = new RecordingDriver { OnConnection = (_, _) => late.FailWhenReleased() };
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection");
        server.Close(TimeSpan.Zero); // the client is aborted, then the server closes
        await driver.Log.WaitForAsync("serverClose");
        late.Release();

        Assert.Same(server, (await late.ReportedAsync()).Server);
        Assert.Equal(0, driver.Log.Count("serverError")); // a closed server's error handler is not called
    }

    [Fact]
    public async Task Closing_a_closed_server_again_raises_no_second_close_event()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver();
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        await driver.Log.WaitForAsync("listen");

        server.Close();
        await driver.Log.WaitForAsync("serverClose");
        server.Close();
        server.Close(TimeSpan.FromSeconds(1));
        await loop.Loop.Barrier();

        Assert.Equal(1, driver.Log.Count("serverClose"));
        Assert.True(server.IsClosed);
    }

    [Theory]
    [InlineData("throws")]
    [InlineData("returns a faulted task")]
    public async Task A_server_error_handler_that_fails_is_reported_as_unhandled_and_the_server_still_closes(string how)
    {
        await using var loop = new TestLoop();
        var unhandled = new TaskCompletionSource<LoopExceptionEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Loop.UnhandledException += (_, e) => unhandled.TrySetResult(e);
        var driver = new RecordingDriver
        {
            OnListen = _ => throw new CustomTestException("from listen"),
            OnServerErr = how == "throws"
                ? (_, _) => throw new CustomTestException("from the error handler")
                : (_, _) => ValueTask.FromException<bool>(new CustomTestException("from the error handler")),
        };
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);

        var report = await unhandled.Task.WithTimeout("the error handler's failure to be reported");
        Assert.Equal("from the error handler", Assert.IsType<CustomTestException>(report.Exception).Message);
        Assert.Same(server, report.Server);
        await driver.Log.WaitForAsync("serverClose");
        Assert.Equal(new[] { "listen", "serverError", "serverClose" }, driver.Log.Events.Select(e => e.Kind).ToArray());
    }

    [Fact]
    public async Task An_async_server_error_handler_does_not_hold_the_server_open()
    {
        await using var loop = new TestLoop();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var driver = new RecordingDriver
        {
            OnListen = _ => throw new CustomTestException("from listen"),
            OnServerErr = async (_, _) =>
            {
                await release.Task;
                return true;
            },
        };
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);

        await driver.Log.WaitForAsync("serverClose"); // while the error handler still waits
        Assert.True(server.IsClosed);
        release.SetResult();
    }

    [Fact]
    public async Task A_server_paused_in_the_turn_it_was_created_starts_paused_and_accepts_once_resumed()
    {
        await using var loop = new TestLoop();
        var driver = RecordingDriver.Echo();
        var server = await loop.OnLoop(() =>
        {
            var s = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
            s.Pause(); // before the server has started listening on the loop
            return s;
        });
        await driver.Log.WaitForAsync("listen");
        using var peer = await Peer.ConnectAsync(server.Port!.Value); // completes in the backlog
        await loop.Loop.Barrier();
        Assert.Equal(0, driver.Log.Count("connection"));
        Assert.True(server.IsPaused);

        server.Resume();
        await peer.SendAllAsync("in"u8.ToArray());
        Assert.Equal("in"u8.ToArray(), await peer.ReadExactlyAsync(2));
    }

    [Fact]
    public async Task A_server_paused_after_it_closed_stays_unpaused_and_a_paused_servers_timer_ends_with_it()
    {
        TcpServer? closedThenPaused = null, pausedThenClosed = null;
        var run = Task.Factory.StartNew(() => EventLoop.Run(() =>
        {
            closedThenPaused = TcpServer.Listen(new RecordingDriver(), port: 0);
            closedThenPaused.Close();
            closedThenPaused.Pause(TimeSpan.FromHours(1)); // nothing to pause: no timer may keep Run alive

            pausedThenClosed = TcpServer.Listen(new RecordingDriver(), port: 0);
            pausedThenClosed.Pause(TimeSpan.FromHours(1));
            pausedThenClosed.Close(); // the pause's timer goes with the server
        }), TaskCreationOptions.LongRunning);

        await run.WithTimeout("Run to return: both servers closed, no timer left");
        Assert.False(closedThenPaused!.IsPaused);
        Assert.True(pausedThenClosed!.IsClosed);
    }

    [Fact]
    public async Task Resume_disarms_a_servers_pause_timer_so_a_later_untimed_pause_holds()
    {
        await using var network = new Conserv.Testing.TestNetwork();
        var driver = RecordingDriver.Echo();
        var server = (await network.ListenAsync(driver)).Server;

        await network.Loop.OnLoopAsync(() => server.Pause(TimeSpan.FromSeconds(5)));
        await network.AdvanceAsync(TimeSpan.FromSeconds(1));
        await network.Loop.OnLoopAsync(() =>
        {
            server.Resume();
            server.Pause();
        });
        await network.AdvanceAsync(TimeSpan.FromSeconds(20));
        Assert.True(server.IsPaused, "the timer of the earlier timed pause ended a pause without time-out");
    }

    [Fact]
    public async Task Close_with_a_drain_period_aborts_the_clients_still_open_when_it_ends()
    {
        await using var network = new Conserv.Testing.TestNetwork();
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                s.Write(new byte[1_000_000]); // more than the peer's window: the close waits for it to drain
                return default;
            },
        };
        var testServer = await network.ListenAsync(driver);
        var peer = await testServer.ConnectAsync();
        peer.StopReading();
        peer.Send("go"u8);
        await network.SettleAsync();

        await network.Loop.OnLoopAsync(() => testServer.Server.Close(TimeSpan.FromSeconds(10)));
        await network.AdvanceAsync(TimeSpan.FromSeconds(9));
        Assert.False(peer.Socket.IsClosed, "closed before its drain period ended");
        Assert.False(testServer.Server.IsClosed);

        await network.AdvanceAsync(TimeSpan.FromSeconds(1));
        await peer.Closed.WaitAsync(EventLog.DefaultTimeout);
        await driver.Log.WaitForAsync("serverClose");
        Assert.True(peer.Socket.IsClosed);
    }

    [Fact]
    public async Task Closing_a_Unix_server_removes_its_socket_file_but_not_a_file_that_replaced_it()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "s.sock");
        var driver = new RecordingDriver();

        await using (var server = TcpServer.ListenUnix(driver, path))
        {
            await driver.Log.WaitForAsync("listen");
            Assert.Equal($"TcpServer(unix:{path})", server.ToString());
        }

        Assert.False(File.Exists(path), "the socket file was left behind");

        var second = TcpServer.ListenUnix(new RecordingDriver(), path);
        File.Delete(path);
        File.WriteAllText(path, "someone else's file");
        await second.DisposeAsync().AsTask().WithTimeout("the second server to close");
        Assert.Equal("someone else's file", File.ReadAllText(path));
    }

    [Fact]
    public async Task Accept_failures_of_a_client_that_gave_up_a_firewall_or_a_signal_are_skipped_and_the_next_client_is_served()
    {
        await using var loop = new TestLoop();
        var driver = RecordingDriver.Echo();
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        await driver.Log.WaitForAsync("listen");
        await loop.OnLoop(() => server.InjectedAcceptErrors = new(new[]
        {
            Conserv.Interop.Libc.ECONNABORTED, Conserv.Interop.Libc.EPROTO, Conserv.Interop.Libc.EPERM, Conserv.Interop.Libc.EINTR,
        }));

        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync("served"u8.ToArray());
        Assert.Equal("served"u8.ToArray(), await peer.ReadExactlyAsync(6));
        Assert.Equal(0, await loop.OnLoop(() => server.InjectedAcceptErrors!.Count)); // all four were met, in the same turn
        Assert.Equal(0, driver.Log.Count("serverError"));
        Assert.False(server.IsClosed);
    }

    [Fact]
    public async Task A_transient_accept_failure_is_reported_without_closing_the_server_which_accepts_again_after_a_pause()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver { OnServerErr = (_, _) => ValueTask.FromResult(true) };
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        await driver.Log.WaitForAsync("listen");
        await loop.OnLoop(() => server.InjectedAcceptErrors = new(new[] { Conserv.Interop.Libc.ENOBUFS, Conserv.Interop.Libc.ENOMEM }));

        using var peer = await Peer.ConnectAsync(server.Port!.Value); // waits in the backlog through both failures
        await driver.Log.WaitForAsync("connection");
        var reported = Assert.IsType<SocketException>(Assert.Single(driver.Log.Events, e => e.Kind == "serverError").Error); // one report per run of failures
        Assert.Equal(SocketError.NoBufferSpaceAvailable, reported.SocketErrorCode);
        Assert.Contains("accept", reported.Message);
        Assert.False(server.IsClosed);

        // A success in between: the next failure starts a new run, reported again.
        await loop.OnLoop(() => server.InjectedAcceptErrors = new(new[] { Conserv.Interop.Libc.ENOMEM }));
        using var second = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection", 2);
        Assert.Equal(SocketError.NoBufferSpaceAvailable, Assert.IsType<SocketException>(driver.Log.Events.Where(e => e.Kind == "serverError").ElementAt(1).Error).SocketErrorCode);
    }

    [Fact]
    public async Task A_server_closed_while_it_waits_to_accept_again_after_a_failure_leaves_no_timer_behind()
    {
        // On a clock that never moves, the retry after the failed accept would keep Run alive for ever if closing the
        // server did not cancel it.
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var driver = new RecordingDriver
        {
            OnServerErr = (server, _) =>
            {
                server.Close();
                return ValueTask.FromResult(true);
            },
        };
        TcpServer? server = null;
        var run = Task.Factory.StartNew(
            () => EventLoop.Run(
                () =>
                {
                    server = TcpServer.Listen(driver, port: 0);
                    server.InjectedAcceptErrors = new(new[] { Conserv.Interop.Libc.ENOBUFS });
                    TcpSocket.Connect(new RecordingDriver(), "127.0.0.1", server.Port!.Value); // makes the listener readable
                },
                new EventLoopOptions { TimeProvider = clock }),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        await run.WithTimeout("Run to return: the server closed, its accept retry cancelled");
        Assert.Equal(SocketError.NoBufferSpaceAvailable, Assert.IsType<SocketException>(driver.Log.First("serverError").Error).SocketErrorCode);
        Assert.True(server!.IsClosed);
    }

    [Fact]
    public async Task Any_other_accept_failure_is_a_server_error_that_closes_the_server()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver { OnServerErr = (_, _) => ValueTask.FromResult(true) };
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        await driver.Log.WaitForAsync("listen");
        await loop.OnLoop(() => server.InjectedAcceptErrors = new(new[] { Conserv.Interop.Libc.ENOTSOCK }));

        // The client only makes the listener readable: the server may close (and reset it) before its connect returns.
        var connecting = Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("serverClose");
        try
        {
            (await connecting).Dispose();
        }
        catch (SocketException)
        {
        }

        var error = Assert.IsType<SocketException>(driver.Log.First("serverError").Error);
        Assert.Contains("accept", error.Message);
        Assert.Equal(0, driver.Log.Count("connection"));
    }

    [Fact]
    public async Task Server_arguments_are_checked_with_their_messages_and_zero_periods_are_accepted()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver();
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        Assert.Equal($"TcpServer(127.0.0.1:{server.Port})", server.ToString());

        Assert.Equal("value", Assert.Throws<ArgumentNullException>(() => server.Driver = null!).ParamName);
        Assert.Same(driver, server.Driver);

        var pause = Assert.Throws<ArgumentOutOfRangeException>(() => server.Pause(TimeSpan.FromTicks(-1)));
        Assert.Equal("timeout", pause.ParamName);
        Assert.StartsWith("The timeout must not be negative.", pause.Message);
        var drain = Assert.Throws<ArgumentOutOfRangeException>(() => server.Close(TimeSpan.FromTicks(-1)));
        Assert.Equal("drainTimeout", drain.ParamName);
        Assert.StartsWith("The drain period must not be negative.", drain.Message);

        server.Pause(TimeSpan.Zero); // a pause that ends at once
        await Poll.UntilAsync(loop.Loop, () => !server.IsPaused, "the zero-length pause to end");
        server.Close(TimeSpan.Zero); // close, aborting whoever is left at once
        await server.Closed.WithTimeout("the server to close");
    }
}
