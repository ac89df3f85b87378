using System;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

public class PauseTests
{
    /// <summary>
    /// A pause long enough that "held back for most of it" cannot happen by chance: these tests check what a
    /// pause does, not how fast anything is, so the margins are wide (see <see cref="AssertHeldBackForMostOfThePause"/>).
    /// </summary>
    private static readonly TimeSpan HoldPause = TimeSpan.FromMilliseconds(1500);

    /// <summary>
    /// Checks, on the loop's own clock, that an event held back by a pause that began at
    /// <paramref name="pausedAt"/> came no earlier than 60% of the pause later. A slow machine only makes it later.
    /// </summary>
    private static void AssertHeldBackForMostOfThePause(long pausedAt, long arrivedAt)
    {
        Assert.True(pausedAt > 0, "the pause was never recorded");
        long heldFor = arrivedAt - pausedAt;
        long atLeast = (long)(HoldPause.TotalMilliseconds * 0.6);
        Assert.True(heldFor >= atLeast, $"held back for {heldFor} ms of a {HoldPause.TotalMilliseconds} ms pause; expected at least {atLeast} ms");
    }

    /// <summary>
    /// Proves data sent on <paramref name="held"/> reached the kernel while the loop kept serving: another
    /// connection on the same loop sends afterwards and its data event is awaited.
    /// </summary>
    private static async Task ProveLoopServedLaterData(int port, RecordingDriver driver, int expectedDataEvents)
    {
        using var other = await Peer.ConnectAsync(port);
        await other.SendAllAsync(new byte[] { 7 });
        await driver.Log.WaitForAsync("data", expectedDataEvents);
    }

    [Fact]
    public async Task Pause_without_timeout_holds_data_back_until_Resume()
    {
        TcpSocket? first = null;
        bool pausedInHandler = false;
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                if (first is null)
                {
                    first = c;
                    c.Pause();
                    pausedInHandler = c.IsPaused;
                }

                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(Encoding.ASCII.GetBytes("held"));
        await driver.Log.WaitForAsync("connection");

        await ProveLoopServedLaterData(server.Port.Value, driver, 1);
        Assert.True(pausedInHandler);
        Assert.Equal(0, driver.Log.Count("data", first!));
        Assert.Equal(0, first!.BytesRead);
        Assert.True(first.IsPaused);

        first.Resume();
        await driver.Log.WaitForBytesAsync(4, first);
        Assert.Equal("held", Encoding.ASCII.GetString(driver.Log.BytesOf(first)));
        Assert.False(first.IsPaused);
    }

    [Fact]
    public async Task Pause_with_timeout_resumes_by_itself()
    {
        var pausedInHandler = false;
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                c.Pause(TimeSpan.FromMilliseconds(200));
                pausedInHandler = c.IsPaused;
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(Encoding.ASCII.GetBytes("later"));
        await driver.Log.WaitForBytesAsync(5);

        var socket = driver.Log.First("connection").Socket!;
        Assert.True(pausedInHandler);
        Assert.False(socket.IsPaused);
        Assert.Equal("later", Encoding.ASCII.GetString(driver.Log.BytesOf(socket)));
    }

    [Fact]
    public async Task Pause_with_timeout_holds_back_data_already_sent_for_the_pause_then_delivers_it()
    {
        // Data sent at once, before or while the connection handler pauses: whenever it reaches the kernel,
        // the driver must not see it until the pause is (nearly) over, measured on the loop's own clock.
        long pausedAt = 0;
        bool pausedInHandler = false;
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                pausedAt = LoopClock.Now;
                c.Pause(HoldPause);
                pausedInHandler = c.IsPaused;
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(Encoding.ASCII.GetBytes("held"));

        await driver.Log.WaitForBytesAsync(4);
        await server.Loop.Barrier();
        var socket = driver.Log.First("connection").Socket!;
        AssertHeldBackForMostOfThePause(pausedAt, driver.Log.First("data").At);
        Assert.True(pausedInHandler);
        Assert.Equal("held", Encoding.ASCII.GetString(driver.Log.BytesOf(socket)));
        Assert.False(socket.IsPaused);
    }

    [Fact]
    public async Task Pause_with_timeout_in_a_data_handler_holds_back_what_the_peer_sends_next()
    {
        // The socket is reading when its data handler pauses it and answers; the peer sends more only after the
        // answer, so that data certainly arrives during the pause.
        long pausedAt = 0;
        var driver = new RecordingDriver
        {
            OnData = (s, d) =>
            {
                if (d.Span[0] == (byte)'1')
                {
                    pausedAt = LoopClock.Now;
                    s.Pause(HoldPause);
                    s.Write("paused"u8);
                }

                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(Encoding.ASCII.GetBytes("1"));
        Assert.Equal("paused", Encoding.ASCII.GetString(await peer.ReadExactlyAsync(6)));
        await peer.SendAllAsync(Encoding.ASCII.GetBytes("2"));
        var socket = driver.Log.First("data").Socket!;

        await driver.Log.WaitForBytesAsync(2);
        await server.Loop.Barrier();
        AssertHeldBackForMostOfThePause(pausedAt, driver.Log.Events.Last(e => e.Kind == "data").At);
        Assert.Equal("12", Encoding.ASCII.GetString(driver.Log.BytesOf(socket)));
        Assert.Equal(2, socket.BytesRead);
        Assert.False(socket.IsPaused);
    }

    [Fact]
    public async Task Pause_while_paused_still_arms_its_timeout()
    {
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                c.Pause();
                c.Pause(TimeSpan.FromMilliseconds(100));
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(Encoding.ASCII.GetBytes("x"));
        await driver.Log.WaitForBytesAsync(1);
        Assert.False(driver.Log.First("data").Socket!.IsPaused);
    }

    [Fact]
    public async Task Pause_keeps_writes_going()
    {
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                c.Pause();
                c.Write(Encoding.ASCII.GetBytes("still writing"));
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        Assert.Equal("still writing", Encoding.ASCII.GetString(await peer.ReadExactlyAsync(13)));
    }

    [Fact]
    public async Task Pause_with_a_negative_timeout_throws_for_sockets_and_servers()
    {
        var driver = new RecordingDriver();
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var socket = await driver.Log.SocketOfFirstAsync("connection");

        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => socket.Pause(TimeSpan.FromMilliseconds(-1)));
        Assert.Equal("timeout", e1.ParamName);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => server.Pause(TimeSpan.FromSeconds(-5)));
        Assert.Equal("timeout", e2.ParamName);
    }

    [Fact]
    public async Task Server_pause_leaves_clients_in_the_backlog_until_Resume()
    {
        await using var loop = new TestLoop();
        var pausedDriver = new RecordingDriver();
        var otherDriver = new RecordingDriver();
        await using var paused = TcpServer.Listen(pausedDriver, port: 0, loop: loop.Loop);
        await using var other = TcpServer.Listen(otherDriver, port: 0, loop: loop.Loop);
        await pausedDriver.Log.WaitForAsync("listen");
        await loop.OnLoop(() => paused.Pause());
        Assert.True(paused.IsPaused);

        // The connect completes in the kernel's backlog...
        using var waiting = await Peer.ConnectAsync(paused.Port!.Value);
        // ...while the loop goes on serving another server on the same loop, accepting nothing for the paused one.
        using var served = await Peer.ConnectAsync(other.Port!.Value);
        await otherDriver.Log.WaitForAsync("connection");
        await loop.Loop.Barrier();
        Assert.Equal(0, pausedDriver.Log.Count("connection"));
        Assert.Equal(0, paused.ClientCount);

        paused.Resume();
        await pausedDriver.Log.WaitForAsync("connection");
        Assert.False(paused.IsPaused);
        Assert.Equal(1, paused.ClientCount);
    }

    [Fact]
    public async Task Server_pause_with_timeout_resumes_accepting_by_itself()
    {
        var driver = new RecordingDriver { OnListen = s => { s.Pause(TimeSpan.FromMilliseconds(200)); return default; } };
        await using var server = TcpServer.Listen(driver, port: 0);
        await driver.Log.WaitForAsync("listen");
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection");
        Assert.False(server.IsPaused);
    }

    [Fact]
    public async Task Server_pause_with_timeout_accepts_nobody_for_the_pause_then_accepts_the_waiting_client()
    {
        long pausedAt = 0;
        var driver = new RecordingDriver
        {
            OnListen = s =>
            {
                pausedAt = LoopClock.Now;
                s.Pause(HoldPause);
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        await driver.Log.WaitForAsync("listen");
        await server.Loop.Barrier();

        // The connect completes in the kernel's backlog at once; the accept must wait for the pause to end.
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection");
        AssertHeldBackForMostOfThePause(pausedAt, driver.Log.First("connection").At);
        Assert.False(server.IsPaused);
        Assert.Equal(1, server.ClientCount);
    }

    [Fact]
    public async Task Server_pause_while_paused_still_arms_its_timeout()
    {
        var driver = new RecordingDriver
        {
            OnListen = s =>
            {
                s.Pause();
                s.Pause(TimeSpan.FromMilliseconds(100));
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        await driver.Log.WaitForAsync("listen");
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection");
        Assert.False(server.IsPaused);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_pause_timer_of_a_closed_socket_does_not_keep_Run_alive(bool pauseBeforeAbort)
    {
        var driver = new RecordingDriver();
        bool? pausedAfterClose = null;
        var run = Task.Factory.StartNew(() => EventLoop.Run(() =>
        {
            var server = TcpServer.Listen(new RecordingDriver
            {
                OnConnection = (s, c) =>
                {
                    if (pauseBeforeAbort)
                    {
                        c.Pause(TimeSpan.FromHours(1));
                        c.Abort();
                    }
                    else
                    {
                        c.Abort();
                        c.Pause(TimeSpan.FromHours(1)); // a closed socket: nothing to pause, no timer to arm
                    }

                    pausedAfterClose = c.IsPaused;
                    s.Close();
                    return default;
                },
            }, port: 0);
            TcpSocket.Connect(driver, "127.0.0.1", server.Port!.Value);
        }), TaskCreationOptions.LongRunning);

        await run.WithTimeout("Run to return once every socket and server has closed");
        Assert.Equal(1, driver.Log.Count("close"));
        if (!pauseBeforeAbort)
        {
            Assert.False(pausedAfterClose, "Pause on a closed socket marked it paused");
        }
    }

    [Fact]
    public async Task Frames_a_resumed_delivery_resumes_on_another_socket_are_delivered_in_the_next_turn_without_any_read()
    {
        // B's buffered line is delivered in the loop's own turn after its Resume (no read brings it); B's handler
        // then resumes A, whose buffered line must wait for the next turn. Nothing else will wake the loop: it must
        // not go to sleep with A still enlisted.
        await using var loop = new TestLoop();
        TcpSocket? a = null;
        var driver = new RecordingDriver
        {
            Framing = SocketFraming.Lines(),
            Features = SocketDriverFeatures.TextData,
            OnText = (s, line) =>
            {
                if (line.Span.SequenceEqual("a1") || line.Span.SequenceEqual("b1"))
                {
                    s.Pause(); // the next line stays buffered
                }
                else if (line.Span.SequenceEqual("b2"))
                {
                    a!.Resume();
                }

                return default;
            },
        };
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peerA = await Peer.ConnectAsync(server.Port!.Value);
        a = await driver.Log.SocketOfFirstAsync("connection");
        await peerA.SendAllAsync("a1\na2\n"u8.ToArray());
        await driver.Log.WaitForAsync("text");
        using var peerB = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection", 2);
        var b = driver.Log.Events.Where(e => e.Kind == "connection").ElementAt(1).Socket!;
        await peerB.SendAllAsync("b1\nb2\n"u8.ToArray());
        await driver.Log.WaitForAsync("text", 2);

        await loop.OnLoop(() => b.Resume());
        await driver.Log.WaitForAsync("text", 4);
        Assert.Equal(new[] { "a1", "b1", "b2", "a2" }, driver.Log.Events.Where(e => e.Kind == "text").Select(e => e.Text).ToArray());
        Assert.Equal(new[] { "text", "text" }, driver.Log.KindsOf(a).Where(k => k == "text").ToArray());
    }

    [Fact]
    public async Task A_paused_Unix_connection_whose_peer_closed_leaves_the_poller_until_resumed_and_then_reads_to_end_of_file()
    {
        // A Unix-domain socket whose peer closed is reported hung up by epoll whatever it asks for: a paused
        // connection left in epoll would have the loop spin on it for as long as the pause lasts.
        using var dir = new TempDir();
        string path = dir.File("hangup.sock");
        await using var loop = new TestLoop();
        TcpSocket? paused = null;
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                paused = c;
                c.Pause();
                return default;
            },
        };
        await loop.OnLoop(() => TcpServer.ListenUnix(driver, path, loop: loop.Loop));
        int epoll = loop.Loop.PollDescriptor;
        using (var peer = await Peer.ConnectUnixAsync(path))
        {
            await driver.Log.WaitForAsync("connection");
            await peer.SendAllAsync(Encoding.ASCII.GetBytes("last words"));
            int fd = await loop.OnLoop(() => paused!.KernelDescriptor!.Value);
            Assert.True(FdInfo.EpollWatches(epoll, fd), "a paused connection stays in epoll until something says it must leave");
            peer.Close();
            await Poll.UntilAsync(loop.Loop, () => !FdInfo.EpollWatches(epoll, fd), "the hung-up paused connection to leave epoll");
        }

        Assert.Equal(0, driver.Log.Count("data", paused!));
        paused!.Resume();
        await driver.Log.WaitForAsync("close");
        Assert.Equal("last words", Encoding.ASCII.GetString(driver.Log.BytesOf(paused)));
        Assert.Equal(new[] { "connection", "data", "eof", "close" }, driver.Log.KindsOf(paused).Collapse());
    }
}
