using System;
using System.Linq;
using System.Net.Sockets;
using System.Threading.Tasks;
using Conserv.Testing;

namespace Conserv.Runtime.Tests;

/// <summary>
/// What only the in-memory transport can show without waiting or racing: time moved by hand, a peer that stops
/// reading at an exact window, faults injected into one read or write, and how a connect is answered.
/// </summary>
public class TestNetworkTests
{
    [Fact]
    public async Task A_timed_pause_holds_data_back_for_the_whole_period_on_the_virtual_clock()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                s.Pause(TimeSpan.FromSeconds(10));
                return default;
            },
        };
        var peer = await network.AcceptAsync(driver);
        peer.Send("a"u8);
        await network.SettleAsync();
        peer.Send("b"u8);

        await network.AdvanceAsync(TimeSpan.FromMilliseconds(9_999));
        Assert.Equal(1, driver.Log.Count("data"));
        Assert.True(peer.Socket.IsPaused);

        await network.AdvanceAsync(TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, driver.Log.Count("data"));
        Assert.Equal("ab"u8.ToArray(), driver.Log.BytesOf(peer.Socket));
    }

    [Fact]
    public async Task Of_two_timed_pauses_the_earlier_end_resumes_and_no_other_timer_ends_a_later_pause()
    {
        await using var network = new TestNetwork();
        var socket = (await network.AcceptAsync(new RecordingDriver())).Socket;

        async Task AssertPausedUntilAsync(TimeSpan end)
        {
            await network.AdvanceAsync(end - TimeSpan.FromMilliseconds(1));
            Assert.True(socket.IsPaused, "resumed before its earliest end");
            await network.AdvanceAsync(TimeSpan.FromMilliseconds(1));
            Assert.False(socket.IsPaused, "not resumed at its earliest end");
        }

        async Task AssertAnUntimedPauseHoldsAsync()
        {
            socket.Pause();
            await network.AdvanceAsync(TimeSpan.FromSeconds(20));
            Assert.True(socket.IsPaused, "a timer of an earlier pause ended a pause without time-out");
            socket.Resume();
        }

        // The longer first, then a shorter one: the shorter ends the pause, and the longer one is disarmed.
        socket.Pause(TimeSpan.FromSeconds(10));
        socket.Pause(TimeSpan.FromSeconds(5));
        await AssertPausedUntilAsync(TimeSpan.FromSeconds(5));
        await AssertAnUntimedPauseHoldsAsync();

        // The shorter first, then a longer one: the longer one is not armed at all.
        socket.Pause(TimeSpan.FromSeconds(5));
        socket.Pause(TimeSpan.FromSeconds(10));
        await AssertPausedUntilAsync(TimeSpan.FromSeconds(5));
        await AssertAnUntimedPauseHoldsAsync();

        // Resume disarms the timer.
        socket.Pause(TimeSpan.FromSeconds(5));
        await network.AdvanceAsync(TimeSpan.FromSeconds(1));
        socket.Resume();
        await AssertAnUntimedPauseHoldsAsync();
        await network.SettleAsync();
        Assert.False(socket.IsPaused);
    }

    [Fact]
    public async Task Closed_and_ClosedToken_stay_pending_while_open_and_complete_at_the_close_whether_asked_before_or_after_it()
    {
        await using var network = new TestNetwork();
        var early = (await network.AcceptAsync(new RecordingDriver())).Socket;
        var late = await network.AcceptAsync(new RecordingDriver());
        var closed = early.Closed;
        var token = early.ClosedToken;
        await network.SettleAsync();
        Assert.False(closed.IsCompleted);
        Assert.False(token.IsCancellationRequested);
        Assert.Same(closed, early.Closed);
        Assert.Equal(token, early.ClosedToken);

        early.Close();
        late.Socket.Close();
        await late.Closed.WaitAsync(EventLog.DefaultTimeout);
        await network.SettleAsync();

        await closed.WithTimeout("Closed asked for before the close");
        Assert.True(token.IsCancellationRequested);
        Assert.True(late.Socket.Closed.IsCompleted, "Closed asked for only after the close is not complete");
        Assert.True(late.Socket.ClosedToken.IsCancellationRequested, "ClosedToken asked for only after the close is not cancelled");
    }

    [Fact]
    public async Task SettleAsync_ends_only_after_the_work_queued_before_it_and_the_timers_due_in_its_turn_have_run()
    {
        await using var network = new TestNetwork();
        var loop = network.Loop;
        Task? settle = null;
        bool? settledBeforeQueuedWork = null, settledBeforeDueTimer = null;

        // Work that queues more work, with the settle queued between the two: it ends after the second.
        await loop.OnLoopAsync(() =>
        {
            loop.Post(() => loop.Post(() => settledBeforeQueuedWork = settle!.IsCompleted));
            settle = network.SettleAsync();
        });
        await settle!.WithTimeout("the settle");
        Assert.False(settledBeforeQueuedWork);

        // The clock moves to a timer's due time in the settle's own turn: the settle ends after the timer ran.
        loop.Schedule(TimeSpan.FromSeconds(1), () => settledBeforeDueTimer = settle!.IsCompleted);
        await loop.OnLoopAsync(() =>
        {
            loop.Post(() => network.Clock.Advance(TimeSpan.FromSeconds(1)));
            settle = network.SettleAsync();
        });
        await settle!.WithTimeout("the settle");
        Assert.False(settledBeforeDueTimer);
    }

    [Fact]
    public async Task A_write_from_a_timer_is_sent_after_the_timer_and_leaves_the_loop_quiet()
    {
        await using var network = new TestNetwork();
        var peer = await network.AcceptAsync(RecordingDriver.Echo());
        network.Loop.Schedule(TimeSpan.FromSeconds(1), () => peer.Socket.Write("tick"u8)); // outside the socket's handlers

        // AdvanceAsync settles the loop: it fails if the flushed socket stays on the loop's pending list.
        await network.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal("tick"u8.ToArray(), await peer.ReceiveAsync(4));
        await network.SettleAsync();
    }

    [Fact]
    public async Task Frames_held_back_by_a_pause_are_delivered_after_the_resume_and_the_loop_is_quiet_again()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            Features = SocketDriverFeatures.TextData,
            OnText = (s, line) =>
            {
                if (line.Span.SequenceEqual("pause"))
                {
                    s.Pause();
                }

                return default;
            },
        };
        var peer = await network.AcceptAsync(driver);
        peer.Send("pause\nnext\n"u8);
        await network.SettleAsync();
        Assert.Equal(1, driver.Log.Count("text"));

        // No read brings "next": the loop's own turn delivers it, once, and then has nothing left to do.
        peer.Socket.Resume();
        await network.SettleAsync();
        Assert.Equal(new[] { "pause", "next" }, driver.Log.Events.Where(e => e.Kind == "text").Select(e => e.Text).ToArray());
    }

    [Fact]
    public async Task An_idle_timeout_fires_at_its_time_after_the_last_activity_and_not_before()
    {
        await using var network = new TestNetwork();
        var driver = RecordingDriver.Echo();
        var peer = await network.AcceptAsync(driver, new TcpSocketOptions { IdleTimeout = TimeSpan.FromSeconds(30) });

        await network.AdvanceAsync(TimeSpan.FromSeconds(20));
        peer.Send("ping"u8); // activity: the 30 s start again from here
        Assert.Equal("ping"u8.ToArray(), await peer.ReceiveAsync(4));
        await network.AdvanceAsync(TimeSpan.FromSeconds(29));
        Assert.Equal(0, driver.Log.Count("error"));

        await network.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.IsType<IdleTimeoutException>(driver.Log.First("error").Error);
        await peer.Closed.WaitAsync(EventLog.DefaultTimeout);
        Assert.True(peer.WasReset); // a time-out closes with a reset: nothing is delivered after it
    }

    [Fact]
    public async Task A_connect_to_a_silent_peer_ends_with_a_ConnectTimeoutException_at_the_connect_timeout()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver();
        var peer = await network.ConnectAsync(driver, PeerConnectBehavior.Silent, new TcpSocketOptions { ConnectTimeout = TimeSpan.FromSeconds(5) });

        await network.AdvanceAsync(TimeSpan.FromMilliseconds(4_999));
        Assert.Empty(driver.Log.Events);

        await network.AdvanceAsync(TimeSpan.FromMilliseconds(1));
        Assert.IsType<ConnectTimeoutException>(driver.Log.First("error").Error);
        Assert.Equal(new[] { "error", "close" }, driver.Log.KindsOf(peer.Socket));
    }

    [Fact]
    public async Task A_connect_that_is_accepted_raises_connect_and_one_that_is_refused_raises_ConnectionRefused()
    {
        await using var network = new TestNetwork();
        var accepted = new RecordingDriver();
        var refused = new RecordingDriver();

        var good = await network.ConnectAsync(accepted);
        var bad = await network.ConnectAsync(refused, PeerConnectBehavior.Refuse);
        await network.SettleAsync();

        Assert.Equal(new[] { "connect" }, accepted.Log.KindsOf(good.Socket));
        Assert.Equal(7000, good.Socket.RemotePort);
        Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(refused.Log.First("error").Error).SocketErrorCode);
        Assert.Equal(new[] { "error", "close" }, refused.Log.KindsOf(bad.Socket));
    }

    [Fact]
    public async Task A_peer_that_stops_reading_makes_writes_queue_and_output_empty_comes_once_it_reads_again()
    {
        await using var network = new TestNetwork(new TestNetworkOptions { Window = 1000 });
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                s.Write(new byte[5000]);
                return default;
            },
        };
        var peer = await network.AcceptAsync(driver);
        peer.StopReading();
        peer.Send("go"u8);
        await network.SettleAsync();

        Assert.Equal(4000, peer.Socket.BytesQueued); // the window took 1,000 bytes
        Assert.Equal(0, driver.Log.Count("outputEmpty"));

        peer.ResumeReading();
        Assert.Equal(5000, (await peer.ReceiveAsync(5000)).Length);
        await driver.Log.WaitForAsync("outputEmpty");
        Assert.Equal(0, peer.Socket.BytesQueued);
    }

    [Fact]
    public async Task With_the_default_window_a_peer_that_stops_reading_takes_64_KiB_and_the_rest_queues()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                s.Write(new byte[200_000]);
                return default;
            },
        };
        var peer = await network.AcceptAsync(driver);
        peer.StopReading();
        peer.Send("go"u8);
        await network.SettleAsync();

        Assert.Equal(200_000 - (64 * 1024), peer.Socket.BytesQueued);
        peer.ResumeReading();
        Assert.Equal(200_000, (await peer.ReceiveAsync(200_000)).Length);
        await network.SettleAsync();
        Assert.Equal(1, driver.Log.Count("outputEmpty"));
    }

    [Fact]
    public async Task Output_beyond_the_limit_to_a_peer_that_does_not_read_ends_the_socket_with_a_reset()
    {
        await using var network = new TestNetwork(new TestNetworkOptions { Window = 100 });
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                s.Write(new byte[10_000]);
                return default;
            },
        };
        var peer = await network.AcceptAsync(driver, new TcpSocketOptions { OutputLowWaterMark = 512, OutputHighWaterMark = 1024, OutputLimit = 4096 });
        peer.StopReading();
        peer.Send("go"u8);

        await peer.Closed.WaitAsync(EventLog.DefaultTimeout);
        Assert.True(peer.WasReset);
        Assert.IsType<OutputOverflowException>(driver.Log.First("error").Error);
    }

    [Theory]
    [InlineData(SocketError.ConnectionAborted)]
    [InlineData(SocketError.TimedOut)]
    [InlineData(SocketError.NetworkUnreachable)]
    public async Task A_fault_injected_into_the_next_read_reaches_the_error_handler_as_that_SocketError(SocketError fault)
    {
        await using var network = new TestNetwork();
        var driver = RecordingDriver.Echo();
        var peer = await network.AcceptAsync(driver);
        peer.FailNextReceive(fault);

        await peer.Closed.WaitAsync(EventLog.DefaultTimeout);
        await driver.Log.WaitForAsync("close"); // the peer may see the close before the loop has run the close handler
        var error = Assert.IsType<SocketException>(driver.Log.First("error").Error);
        Assert.Equal(fault, error.SocketErrorCode);
        Assert.Contains("recv", error.Message);
        Assert.Equal(new[] { "error", "close" }, driver.Log.KindsOf(peer.Socket));
    }

    [Fact]
    public async Task A_read_fault_drops_the_connection_even_when_the_error_handler_handles_it()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver { OnError = (_, _) => ValueTask.FromResult(true) };
        var peer = await network.AcceptAsync(driver);
        peer.FailNextReceive(SocketError.ConnectionReset);

        await peer.Closed.WaitAsync(EventLog.DefaultTimeout);
        await driver.Log.WaitForAsync("close");
        Assert.Equal(new[] { "error", "close" }, driver.Log.KindsOf(peer.Socket));
        Assert.IsType<SocketException>(driver.Log.First("close").Error);
    }

    [Theory]
    [InlineData(Conserv.Interop.Libc.EAGAIN)]
    [InlineData(Conserv.Interop.Libc.EINTR)]
    public async Task A_read_that_would_block_or_is_interrupted_is_no_error_and_the_next_read_delivers(int errno)
    {
        await using var network = new TestNetwork();
        var driver = RecordingDriver.Echo();
        var peer = await network.AcceptAsync(driver);
        peer.FailNextReceiveWithErrno(errno);
        await network.SettleAsync();

        peer.Send("ab"u8);
        Assert.Equal("ab"u8.ToArray(), await peer.ReceiveAsync(2));
        Assert.Equal(new[] { "data" }, driver.Log.KindsOf(peer.Socket).Where(k => k != "outputEmpty").ToArray());
        Assert.False(peer.Socket.IsClosed);
    }

    [Fact]
    public async Task A_socket_without_a_driver_drops_what_it_reads_and_stays_open_for_the_next_driver()
    {
        await using var network = new TestNetwork();
        var first = new RecordingDriver();
        var peer = await network.AcceptAsync(first);
        await network.Loop.OnLoopAsync(() => peer.Socket.Driver = null);

        peer.Send("dropped"u8);
        await network.SettleAsync();
        Assert.False(peer.Socket.IsClosed);

        var second = new RecordingDriver();
        await network.Loop.OnLoopAsync(() => peer.Socket.Driver = second);
        peer.Send("kept"u8);
        await network.SettleAsync();
        Assert.Equal("kept", System.Text.Encoding.ASCII.GetString(second.Log.BytesOf(peer.Socket)));
        Assert.Empty(first.Log.BytesOf(peer.Socket));
        Assert.DoesNotContain("error", first.Log.KindsOf(peer.Socket).Concat(second.Log.KindsOf(peer.Socket)));
    }

    [Fact]
    public async Task A_fault_injected_into_the_next_write_reaches_the_error_handler_and_the_earlier_bytes_were_delivered()
    {
        await using var network = new TestNetwork();
        var driver = RecordingDriver.Echo();
        var peer = await network.AcceptAsync(driver);
        peer.Send("one"u8);
        Assert.Equal("one"u8.ToArray(), await peer.ReceiveAsync(3));

        peer.FailNextSend(SocketError.Shutdown);
        peer.Send("two"u8);

        await peer.Closed.WaitAsync(EventLog.DefaultTimeout);
        var error = Assert.IsType<SocketException>(driver.Log.First("error").Error);
        Assert.Equal(SocketError.Shutdown, error.SocketErrorCode);
        Assert.StartsWith("send: ", error.Message); // the message names the call that failed
        Assert.Empty(peer.ReceiveAvailable());
        Assert.Equal(3, peer.Socket.BytesWritten); // the failed send counts nothing
    }

    [Fact]
    public async Task Writes_after_a_failed_send_in_the_same_handler_queue_nothing()
    {
        // The failing connection's error dispatch comes after the handler: a handler that goes on writing to it
        // must not grow its queue meanwhile.
        await using var network = new TestNetwork();
        var driver = new RecordingDriver();
        var peer = await network.AcceptAsync(driver);
        peer.FailNextSend(SocketError.ConnectionReset);
        long queued = await network.Loop.OnLoopAsync(() =>
        {
            peer.Socket.Write(Peer.Pattern(40 * 1024, 3)); // large: sent at once, and the send fails
            peer.Socket.Write("more"u8);
            return peer.Socket.BytesQueued;
        });

        Assert.Equal(0, queued);
        await peer.Closed.WaitAsync(EventLog.DefaultTimeout);
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(driver.Log.First("error").Error).SocketErrorCode);
        Assert.Empty(peer.ReceiveAvailable());
    }

    [Fact]
    public async Task A_large_write_the_kernel_takes_whole_leaves_the_next_one_free_to_go_at_once_too()
    {
        await using var network = new TestNetwork(new TestNetworkOptions { Window = 256 * 1024 });
        var peer = await network.AcceptAsync(new RecordingDriver());
        var first = Peer.Pattern(40 * 1024, 1);
        var second = Peer.Pattern(40 * 1024, 2);
        var (queuedAfterFirst, queuedAfterSecond, sends) = await network.Loop.OnLoopAsync(() =>
        {
            long before = peer.Socket.GatheredWrites;
            peer.Socket.Write(first);
            long afterFirst = peer.Socket.BytesQueued;
            peer.Socket.Write(second);
            return (afterFirst, peer.Socket.BytesQueued, peer.Socket.GatheredWrites - before);
        });

        Assert.Equal(0, queuedAfterFirst);
        Assert.Equal(0, queuedAfterSecond); // not copied into the queue to wait for a writability already there
        Assert.Equal(2, sends);
        Assert.Equal(first.Concat(second).ToArray(), await peer.ReceiveAsync(first.Length + second.Length));
    }

    [Fact]
    public async Task An_exception_from_an_output_empty_handler_goes_to_the_error_handler_and_a_handled_one_keeps_the_connection()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver
        {
            OnOutputEmpty = _ => throw new CustomTestException("from output-empty"),
            OnError = (_, e) => new ValueTask<bool>(e is CustomTestException),
        };
        var peer = await network.AcceptAsync(driver);
        await network.Loop.OnLoopAsync(() => peer.Socket.Write("one"u8));
        await network.SettleAsync();

        Assert.Equal("from output-empty", Assert.IsType<CustomTestException>(driver.Log.First("error").Error).Message);
        Assert.Equal(new[] { "outputEmpty", "error" }, driver.Log.KindsOf(peer.Socket).ToArray());
        await network.Loop.OnLoopAsync(() => peer.Socket.Write("two"u8)); // still open
        Assert.Equal("onetwo"u8.ToArray(), await peer.ReceiveAsync(6));
    }

    [Fact]
    public async Task A_write_fault_of_an_output_empty_handlers_write_reaches_the_error_handler_and_ends_the_connection()
    {
        await using var network = new TestNetwork();
        TestPeer? peer = null;
        var driver = new RecordingDriver
        {
            OnOutputEmpty = s =>
            {
                if (s.BytesWritten == 3)
                {
                    peer!.FailNextSend(SocketError.ConnectionReset); // the network fails just as the handler writes more
                    s.Write("more"u8);
                }

                return default;
            },
        };
        peer = await network.AcceptAsync(driver);
        await network.Loop.OnLoopAsync(() => peer.Socket.Write("one"u8));

        await peer.Closed.WaitAsync(EventLog.DefaultTimeout);
        await driver.Log.WaitForAsync("close");
        var error = Assert.IsType<SocketException>(driver.Log.First("error").Error);
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        Assert.StartsWith("send: ", error.Message);
        Assert.Equal(new[] { "outputEmpty", "error", "close" }, driver.Log.KindsOf(peer.Socket).ToArray());
    }

    [Fact]
    public async Task A_write_fault_ends_the_connection_even_when_the_error_handler_handles_it()
    {
        await using var network = new TestNetwork();
        // Without output-empty, whose round would raise the fault too: here only the fault's own dispatch can.
        var driver = new RecordingDriver { Features = SocketDriverFeatures.ByteData, OnError = (_, _) => new ValueTask<bool>(true) };
        var peer = await network.AcceptAsync(driver);

        // Written from posted work, outside any handler of the socket: the fault is raised on its own.
        peer.FailNextSend(SocketError.ConnectionReset);
        await network.Loop.OnLoopAsync(() => peer.Socket.Write("lost"u8));

        await peer.Closed.WaitAsync(EventLog.DefaultTimeout);
        await driver.Log.WaitForAsync("close");
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(driver.Log.First("error").Error).SocketErrorCode);
        Assert.Equal(new[] { "error", "close" }, driver.Log.KindsOf(peer.Socket));
    }

    [Fact]
    public async Task An_async_error_handler_that_fails_is_reported_as_unhandled_and_the_connection_is_dropped()
    {
        await using var network = new TestNetwork();
        var unhandled = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        network.Loop.UnhandledException += (_, e) => unhandled.TrySetResult(e.Exception);
        var driver = new RecordingDriver
        {
            OnData = (_, _) => throw new CustomTestException("the data handler failed"),
            OnError = async (_, _) =>
            {
                await Task.Yield();
                throw new InvalidOperationException("the error handler failed too");
            },
        };
        var peer = await network.AcceptAsync(driver);
        peer.Send("x"u8);

        Assert.Equal("the error handler failed too", (await unhandled.Task.WaitAsync(EventLog.DefaultTimeout)).Message);
        await peer.Closed.WaitAsync(EventLog.DefaultTimeout);
        await driver.Log.WaitForAsync("close");
        Assert.IsType<CustomTestException>(driver.Log.First("close").Error); // dropped, for the error it could not handle
    }

    [Fact]
    public async Task Writing_to_a_peer_that_closed_is_answered_with_a_reset()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver { OnEndOfFile = s => { s.Write("late"u8); return default; } };
        var peer = await network.AcceptAsync(driver, new TcpSocketOptions { AllowHalfOpen = true });
        peer.Close();

        await peer.Closed.WaitAsync(EventLog.DefaultTimeout);
        await network.SettleAsync(); // the transport closes before the socket's close event has run
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(driver.Log.First("error").Error).SocketErrorCode);
        Assert.Equal(new[] { "eof", "error", "close" }, driver.Log.KindsOf(peer.Socket));
    }

    [Fact]
    public async Task Text_lines_go_both_ways_with_the_peers_helpers()
    {
        await using var network = new TestNetwork();
        var driver = RecordingDriver.Echo();
        var peer = await network.AcceptAsync(driver);

        peer.Send("héllo\r\nworld\n");
        Assert.Equal("héllo", await peer.ReceiveLineAsync());
        Assert.Equal("world", await peer.ReceiveLineAsync());
        Assert.False(peer.EndReceived);
    }

    [Fact]
    public async Task A_receive_that_never_comes_fails_with_a_TimeoutException_that_says_what_arrived()
    {
        await using var network = new TestNetwork(new TestNetworkOptions { ReceiveTimeout = TimeSpan.FromMilliseconds(200) });
        var peer = await network.AcceptAsync(RecordingDriver.Echo());
        peer.Send("abc"u8);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => peer.ReceiveAsync(4));
        Assert.Contains("3 unread byte(s)", error.Message);
    }

    [Fact]
    public async Task TLS_runs_over_the_in_memory_transport_and_a_silent_handshake_times_out_on_the_virtual_clock()
    {
        await using var network = new TestNetwork();
        var driver = RecordingDriver.Echo();
        var peer = await network.AcceptAsync(driver, tls: TestCertificates.ServerOptions("memo"));

        // A real SslStream client over the peer: the handshake and records cross the in-memory connection.
        using (var ssl = new System.Net.Security.SslStream(peer.AsStream()))
        {
            await ssl.AuthenticateAsClientAsync(TestCertificates.ClientOptions("memo")).WaitAsync(EventLog.DefaultTimeout);
            await ssl.WriteAsync("secret"u8.ToArray());
            var echoed = new byte[6];
            await ssl.ReadExactlyAsync(echoed).AsTask().WaitAsync(EventLog.DefaultTimeout);
            Assert.Equal("secret"u8.ToArray(), echoed);
            Assert.Equal("memo", peer.Socket.Tls!.ApplicationProtocol.ToString());
            Assert.Equal(new[] { "connect", "data" }, driver.Log.KindsOf(peer.Socket).Where(k => k != "outputEmpty").ToArray());
        }

        // A client that connects and never says anything: closed with a reset at the handshake time-out, not before.
        var silent = await network.AcceptAsync(driver, tls: TestCertificates.ServerOptions());
        await network.AdvanceAsync(TimeSpan.FromMilliseconds(9_999));
        Assert.False(silent.Socket.IsClosed);
        await network.AdvanceAsync(TimeSpan.FromMilliseconds(1));
        await silent.Closed.WaitAsync(EventLog.DefaultTimeout);
        Assert.True(silent.WasReset);
        Assert.IsType<HandshakeTimeoutException>(driver.Log.Events.Single(e => e.Kind == "error" && ReferenceEquals(e.Socket, silent.Socket)).Error);
    }

    [Fact]
    public async Task A_TLS_client_driver_connects_to_an_SslStream_server_in_memory_and_its_connect_event_follows_the_handshake()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver
        {
            OnConnect = s =>
            {
                s.Write("ping"u8);
                return default;
            },
        };
        var peer = await network.ConnectAsync(driver, tls: TestCertificates.ClientOptions());
        using var ssl = new System.Net.Security.SslStream(peer.AsStream());
        await ssl.AuthenticateAsServerAsync(TestCertificates.ServerOptions()).WaitAsync(EventLog.DefaultTimeout);

        var request = new byte[4];
        await ssl.ReadExactlyAsync(request).AsTask().WaitAsync(EventLog.DefaultTimeout);
        Assert.Equal("ping"u8.ToArray(), request);
        Assert.Equal(TestCertificates.Server.Thumbprint, peer.Socket.Tls!.RemoteCertificate!.Thumbprint);
    }

    [Fact]
    public async Task Over_TLS_output_empty_waits_until_the_ciphertext_has_left_too()
    {
        await using var network = new TestNetwork(new TestNetworkOptions { Window = 70_000 });
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                s.Write(new byte[100_000]); // 64 KiB are encrypted at once, the rest once that ciphertext has left
                return default;
            },
        };
        var (peer, ssl) = await SayGoOverTlsToAPeerThatStoppedReadingAsync(network, driver);
        using var _ = ssl;

        // All the plaintext has left the socket's queue, but not all the ciphertext has left the TLS layer.
        Assert.Equal(0, peer.Socket.BytesQueued);
        Assert.Equal(0, driver.Log.Count("outputEmpty"));

        peer.ResumeReading();
        var received = new byte[100_000];
        await ssl.ReadExactlyAsync(received).AsTask().WaitAsync(EventLog.DefaultTimeout);
        await network.SettleAsync();
        Assert.Equal(1, driver.Log.Count("outputEmpty"));
    }

    [Fact]
    public async Task Over_TLS_a_close_waits_until_the_ciphertext_has_left_then_ends_with_close_notify()
    {
        // The socket's own queue is empty once the TLS layer has taken the plaintext, but the peer's window holds
        // only part of the ciphertext: the close must wait for the rest (and for writability to send it).
        await using var network = new TestNetwork(new TestNetworkOptions { Window = 20_000 });
        var reply = Peer.Pattern(60_000, seed: 6);
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                s.Write(reply); // under 64 KiB: encrypted at once
                s.Close();
                return default;
            },
        };
        var (peer, ssl) = await SayGoOverTlsToAPeerThatStoppedReadingAsync(network, driver);
        using var _ = ssl;

        Assert.Equal(0, peer.Socket.BytesQueued);
        Assert.False(peer.Socket.IsClosed, "the socket closed while ciphertext had not left");

        peer.ResumeReading();
        var received = new System.IO.MemoryStream();
        await ssl.CopyToAsync(received).WaitAsync(EventLog.DefaultTimeout); // ends at close_notify, not at a cut stream
        Assert.Equal(reply, received.ToArray());
        await peer.Closed.WaitAsync(EventLog.DefaultTimeout);
        Assert.False(peer.WasReset);
        await driver.Log.WaitForAsync("close");
        Assert.Null(driver.Log.First("close").Error);
    }

    /// <summary>
    /// A TLS connection to <paramref name="driver"/> whose peer, once the handshake is done, stops reading and sends
    /// "go": what the driver writes in answer fills the peer's window and the rest waits.
    /// </summary>
    private static async Task<(TestPeer Peer, System.Net.Security.SslStream Ssl)> SayGoOverTlsToAPeerThatStoppedReadingAsync(TestNetwork network, RecordingDriver driver)
    {
        var peer = await network.AcceptAsync(driver, tls: TestCertificates.ServerOptions());
        var ssl = new System.Net.Security.SslStream(peer.AsStream());
        await ssl.AuthenticateAsClientAsync(TestCertificates.ClientOptions()).WaitAsync(EventLog.DefaultTimeout);
        await network.SettleAsync();
        peer.StopReading();
        await ssl.WriteAsync("go"u8.ToArray());
        await network.SettleAsync();
        return (peer, ssl);
    }

    [Fact]
    public async Task A_small_read_buffer_cuts_what_the_peer_sends_into_reads_of_that_size()
    {
        await using var network = new TestNetwork(new TestNetworkOptions { ReadBufferSize = 256 });
        Assert.Equal(256 * 1024, new TestNetworkOptions().ReadBufferSize); // the loop's own default otherwise
        var driver = new RecordingDriver();
        var peer = await network.AcceptAsync(driver);

        var sent = Peer.Pattern(1000, seed: 12);
        peer.Send(sent);
        await network.SettleAsync();

        Assert.Equal(new[] { 256, 256, 256, 232 }, driver.Log.Events.Where(e => e.Kind == "data").Select(e => e.Bytes!.Length));
        Assert.Equal(sent, driver.Log.BytesOf(peer.Socket));
    }

    [Fact]
    public async Task Bad_arguments_are_refused_with_the_parameter_named()
    {
        await using var network = new TestNetwork();
        Assert.Equal("driver", (await Assert.ThrowsAsync<ArgumentNullException>(() => network.AcceptAsync(null!))).ParamName);
        Assert.Equal("behavior", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => network.ConnectAsync(RecordingDriver.Echo(), (PeerConnectBehavior)7))).ParamName);
        Assert.Equal("duration", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => network.AdvanceAsync(TimeSpan.FromSeconds(-1)))).ParamName);
        var peer = await network.AcceptAsync(RecordingDriver.Echo());
        Assert.Equal("error", Assert.Throws<ArgumentException>(() => peer.FailNextReceive(SocketError.Success)).ParamName);
        Assert.Equal("count", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => peer.ReceiveAsync(0))).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TestNetworkOptions { Window = 0 });
        Assert.Equal("ReadBufferSize", Assert.Throws<ArgumentOutOfRangeException>(() => new TestNetworkOptions { ReadBufferSize = 255 }).ParamName);
        Assert.Equal("ReadBufferSize", Assert.Throws<ArgumentOutOfRangeException>(() => new TestNetworkOptions { ReadBufferSize = 16 * 1024 * 1024 + 1 }).ParamName);
        peer.ShutdownWrite();
        Assert.Throws<InvalidOperationException>(() => peer.Send("x"));
    }

    [Fact]
    public async Task Disposing_the_network_closes_every_open_socket_accepted_or_connected_with_its_close_event()
    {
        var accepted = new RecordingDriver();
        var connected = new RecordingDriver();
        var network = new TestNetwork();
        var a = await network.AcceptAsync(accepted);
        var c = await network.ConnectAsync(connected);
        await network.SettleAsync();
        Assert.False(a.Socket.IsClosed || c.Socket.IsClosed);

        await network.DisposeAsync();
        Assert.True(a.Socket.IsClosed && c.Socket.IsClosed);
        Assert.Equal(1, accepted.Log.Count("close"));
        Assert.Equal(1, connected.Log.Count("close"));
    }

    [Fact]
    public async Task A_peer_stream_sends_what_every_write_overload_is_given_in_order()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver();
        var peer = await network.AcceptAsync(driver);
        var stream = peer.AsStream();
        stream.Write("ab"u8);
        stream.Write("xcdx"u8.ToArray(), 1, 2);
        await stream.WriteAsync("ef"u8.ToArray().AsMemory());
        await stream.WriteAsync("xghx"u8.ToArray(), 1, 2);
        await network.SettleAsync();
        Assert.Equal("abcdefgh", System.Text.Encoding.ASCII.GetString(driver.Log.BytesOf()));
    }
}
