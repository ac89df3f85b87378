using System;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;

namespace Conserv.Runtime.Tests;

public class CloseTests
{
    [Fact]
    public async Task Close_sends_everything_queued_then_end_of_file()
    {
        var payload = Peer.Pattern(8 * 1024 * 1024, 11);
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                c.Write(payload);
                c.Close();
                c.Write(Encoding.ASCII.GetBytes("after close")); // writes right after Close still go out
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var (data, reset) = await peer.ReadToEndAsync();

        Assert.False(reset);
        Assert.Equal(payload.Length + 11, data.Length);
        Assert.True(data.AsSpan(0, payload.Length).SequenceEqual(payload));
        Assert.Equal("after close", Encoding.ASCII.GetString(data, payload.Length, 11));
        await driver.Log.WaitForAsync("close");
        Assert.Null(driver.Log.First("close").Error);
        Assert.Equal(0, driver.Log.Count("outputEmpty")); // the drain that completes a close raises no output-empty
    }

    [Fact]
    public async Task A_write_and_a_close_from_posted_work_send_the_bytes_and_then_end_of_file()
    {
        // Outside the socket's handlers the close cannot finish at once (the bytes are still queued): the flush that
        // follows the callback sends them and must then finish the close. (A driver with output-empty would finish
        // it from the output-empty round as well: this one has none.)
        var driver = new RecordingDriver { Features = SocketDriverFeatures.ByteData };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var socket = await driver.Log.SocketOfFirstAsync("connection");
        await server.Loop.OnLoopAsync(() =>
        {
            socket.Write("bye"u8);
            socket.Close();
        });

        var (data, reset) = await peer.ReadToEndAsync();
        Assert.False(reset);
        Assert.Equal("bye", Encoding.ASCII.GetString(data));
        await driver.Log.WaitForAsync("close");
        Assert.Null(driver.Log.First("close").Error);
    }

    [Fact]
    public async Task A_graceful_close_with_unread_input_still_delivers_everything_written_then_end_of_file()
    {
        // Closing a descriptor with unread bytes in its receive queue makes the kernel send a reset and drop what its
        // send buffer still holds: the close reads and drops that input first. The reply is larger than the kernel
        // buffers, so at the close part of it is still in the server's send buffer.
        var payload = Peer.Pattern(8 * 1024 * 1024, 5);
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                c.Pause(); // nothing the peer sends is read
                c.OutputLimit = null;
                c.Write(payload);
                c.Close(); // finishes once the queue has gone to the kernel
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(new byte[1000]); // on loopback, in the server's receive queue when this returns

        var (data, reset) = await peer.ReadToEndAsync();
        Assert.False(reset, "the close answered the unread input with a reset");
        Assert.Equal(payload.Length, data.Length);
        Assert.True(data.AsSpan().SequenceEqual(payload));
    }

    [Fact]
    public async Task An_async_data_handler_keeps_its_bytes_while_others_read_and_a_close_made_meanwhile_finishes_after_it()
    {
        await using var loop = new TestLoop();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = new RecordingDriver
        {
            OnData = async (_, data) =>
            {
                await release.Task;
                seen.SetResult(data.ToArray()); // still the bytes this event brought
            },
        };
        var echo = RecordingDriver.Echo();
        var holdingServer = TcpServer.Listen(holding, port: 0, loop: loop.Loop);
        var echoServer = TcpServer.Listen(echo, port: 0, loop: loop.Loop);
        using var holdingPeer = await Peer.ConnectAsync(holdingServer.Port!.Value);
        using var echoPeer = await Peer.ConnectAsync(echoServer.Port!.Value);
        var socket = await holding.Log.SocketOfFirstAsync("connection");

        var mine = Enumerable.Repeat((byte)'A', 1000).ToArray();
        await holdingPeer.SendAllAsync(mine);
        await holding.Log.WaitForAsync("data");
        var theirs = Enumerable.Repeat((byte)'B', 1000).ToArray();
        await echoPeer.SendAllAsync(theirs); // read by the same loop while the handler above still holds its bytes
        Assert.Equal(theirs, await echoPeer.ReadExactlyAsync(theirs.Length));

        await loop.OnLoop(() => socket.Close()); // waits for the running handler
        Assert.False(socket.IsClosed);
        release.SetResult();
        Assert.Equal(mine, await seen.Task.WithTimeout("the handler to finish"));
        var (rest, reset) = await holdingPeer.ReadToEndAsync();
        Assert.Empty(rest);
        Assert.False(reset);
        await holding.Log.WaitForAsync("close");
    }

    [Fact]
    public async Task An_exception_from_a_close_handler_is_reported_as_unhandled_and_the_loop_goes_on()
    {
        await using var loop = new TestLoop();
        var unhandled = new System.Collections.Concurrent.ConcurrentQueue<LoopExceptionEventArgs>();
        loop.Loop.UnhandledException += (_, e) => unhandled.Enqueue(e);
        var driver = new RecordingDriver { OnClose = (_, _) => throw new CustomTestException("from the close handler") };
        var echo = RecordingDriver.Echo();
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        var echoServer = TcpServer.Listen(echo, port: 0, loop: loop.Loop);
        using (var peer = await Peer.ConnectAsync(server.Port!.Value))
        {
            await driver.Log.WaitForAsync("connection");
        }

        await driver.Log.WaitForAsync("close");
        await loop.Loop.Barrier();
        var report = Assert.Single(unhandled);
        Assert.Equal("from the close handler", Assert.IsType<CustomTestException>(report.Exception).Message);
        Assert.Same(driver.Log.First("close").Socket, report.Socket);

        using var other = await Peer.ConnectAsync(echoServer.Port!.Value); // the loop still serves
        await other.SendAllAsync("still"u8.ToArray());
        Assert.Equal("still", Encoding.ASCII.GetString(await other.ReadExactlyAsync(5)));
    }

    [Fact]
    public async Task Close_in_the_connection_handler_still_sends_writes_made_right_after_it()
    {
        Exception? thrown = null;
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                c.Write("before "u8);
                c.Close();
                thrown = Record.Exception(() => c.Write("after"u8));
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var (data, reset) = await peer.ReadToEndAsync();
        await server.Loop.Barrier();

        Assert.Null(thrown);
        Assert.False(reset);
        Assert.Equal("before after", Encoding.ASCII.GetString(data));
    }

    [Fact]
    public async Task Abort_drops_what_is_queued()
    {
        var payload = Peer.Pattern(32 * 1024 * 1024, 12);
        var driver = new RecordingDriver
        {
            OnConnection = (_, c) =>
            {
                c.Write(payload);
                c.Abort();
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("close");
        var (data, _) = await peer.ReadToEndAsync();

        Assert.True(data.Length < payload.Length, $"the peer got {data.Length} of {payload.Length} bytes");
        Assert.True(data.AsSpan().SequenceEqual(payload.AsSpan(0, data.Length)));
        Assert.Equal(1, driver.Log.Count("close"));
    }

    [Fact]
    public async Task Close_on_an_idle_socket_completes_at_once()
    {
        var driver = new RecordingDriver();
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var socket = await driver.Log.SocketOfFirstAsync("connection");

        socket.Close();
        await socket.Closed.WithTimeout("the idle socket to close");
        Assert.True(socket.IsClosed);
        Assert.True(socket.ClosedToken.IsCancellationRequested);
        var (data, reset) = await peer.ReadToEndAsync();
        Assert.Empty(data);
        Assert.False(reset);
        Assert.Equal(0, server.ClientCount);
    }

    [Theory]
    [InlineData("")]
    [InlineData("sent before the connect")]
    public async Task A_client_closed_before_its_connect_completes_connects_sends_what_it_wrote_then_closes(string text)
    {
        // Connect, Write and Close in one turn of the loop: the close waits for the connection, which runs its
        // connect event, sends the queued bytes (if any) and then ends the stream.
        await using var loop = new TestLoop();
        var serverDriver = new RecordingDriver();
        await using var server = TcpServer.Listen(serverDriver, port: 0);
        var clientDriver = new RecordingDriver();

        var client = await loop.OnLoop(() =>
        {
            var c = TcpSocket.Connect(clientDriver, "127.0.0.1", server.Port!.Value, loop: loop.Loop);
            c.Write(Encoding.ASCII.GetBytes(text));
            c.Close();
            return c;
        });

        await client.Closed.WithTimeout("the client to close");
        await serverDriver.Log.WaitForAsync("eof");
        Assert.Equal(text, Encoding.ASCII.GetString(serverDriver.Log.BytesOf(serverDriver.Log.First("connection").Socket!)));
        Assert.Equal(new[] { "connect", "close" }, clientDriver.Log.KindsOf(client).Where(k => k != "outputEmpty").ToArray());
        Assert.Null(clientDriver.Log.First("close").Error);
    }

    [Fact]
    public async Task After_another_sockets_close_event_runs_inside_a_handler_Current_is_the_handlers_socket_again()
    {
        await using var loop = new TestLoop();
        TcpSocket? first = null;
        TcpSocket? currentInCloseHandler = null, currentAfter = null;
        var driver = new RecordingDriver
        {
            OnData = (s, _) =>
            {
                first!.Abort(); // on the loop thread: the other socket's close event runs now, inside this handler
                currentAfter = TcpSocket.Current;
                return default;
            },
            OnClose = (s, _) => currentInCloseHandler = TcpSocket.Current,
        };
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var firstPeer = await Peer.ConnectAsync(server.Port!.Value);
        first = await driver.Log.SocketOfFirstAsync("connection");
        using var secondPeer = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection", 2);
        var second = driver.Log.Events.Where(e => e.Kind == "connection").ElementAt(1).Socket!;

        await secondPeer.SendAllAsync("x"u8.ToArray());
        await driver.Log.WaitForAsync("close");
        await loop.Loop.Barrier();
        Assert.Same(first, currentInCloseHandler);
        Assert.Same(second, currentAfter);
    }

    [Fact]
    public async Task A_second_Close_or_Abort_fires_nothing()
    {
        var driver = new RecordingDriver();
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var socket = await driver.Log.SocketOfFirstAsync("connection");
        await socket.DisposeAsync().WithTimeout("first close");

        socket.Close();
        socket.Abort();
        await socket.DisposeAsync().WithTimeout("dispose of a closed socket");
        await server.Loop.OnLoopAsync(() =>
        {
            socket.Close();
            socket.Abort();
        });
        await server.Loop.Barrier();
        Assert.Equal(new[] { "connection", "close" }, driver.Log.KindsOf(socket));
    }

    [Fact]
    public async Task Writing_to_a_closed_socket_throws_ObjectDisposedException()
    {
        var driver = new RecordingDriver();
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var socket = await driver.Log.SocketOfFirstAsync("connection");
        socket.Abort();
        await socket.Closed.WithTimeout("abort");

        Assert.Throws<ObjectDisposedException>(() => socket.Write(new byte[] { 1 }));
        Assert.Throws<ObjectDisposedException>(() => socket.Write("text"));
        Assert.Throws<ObjectDisposedException>(() => socket.WriteByte(1));
        var onLoop = await server.Loop.OnLoopAsync(() => Record.Exception(() => socket.Write(new byte[] { 1 })));
        Assert.IsType<ObjectDisposedException>(onLoop);
    }

    [Fact]
    public async Task After_end_of_file_the_socket_sends_what_is_queued_then_closes()
    {
        var payload = Peer.Pattern(4 * 1024 * 1024, 13);
        var driver = new RecordingDriver { OnEndOfFile = s => { s.Write(payload); return default; } };
        await using var server = TcpServer.Listen(driver, port: 0);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        peer.Shutdown(SocketShutdown.Send);
        var (data, reset) = await peer.ReadToEndAsync();
        Assert.False(reset);
        Assert.Equal(payload, data);
        await driver.Log.WaitForAsync("close");
    }

    [Fact]
    public async Task Half_open_server_sockets_keep_writing_after_end_of_file_until_Close()
    {
        var driver = new RecordingDriver();
        await using var server = TcpServer.Listen(driver, port: 0, options: new TcpServerOptions { AllowHalfOpen = true });
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.SendAllAsync(Encoding.ASCII.GetBytes("request"));
        peer.Shutdown(SocketShutdown.Send);
        await driver.Log.WaitForAsync("eof");
        var socket = driver.Log.First("eof").Socket!;
        await server.Loop.Barrier();
        Assert.False(socket.IsClosed);

        socket.Write(Encoding.ASCII.GetBytes("response"));
        Assert.Equal("response", Encoding.ASCII.GetString(await peer.ReadExactlyAsync(8)));
        socket.Write(Encoding.ASCII.GetBytes(" and more"));
        socket.Close();
        var (rest, reset) = await peer.ReadToEndAsync();
        Assert.False(reset);
        Assert.Equal(" and more", Encoding.ASCII.GetString(rest));
        await driver.Log.WaitForAsync("close");
        Assert.Equal(new[] { "connection", "data", "eof", "close" }, driver.Log.KindsOf(socket).Where(k => k != "outputEmpty").ToArray().Collapse());
    }

    [Fact]
    public async Task Half_open_client_sockets_keep_writing_after_end_of_file_until_Close()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var clientDriver = new RecordingDriver { OnEndOfFile = s => { s.Write(Encoding.ASCII.GetBytes("bye")); return default; } };
        var client = TcpSocket.Connect(clientDriver, "127.0.0.1", port, options: new TcpSocketOptions { AllowHalfOpen = true });
        using var peer = await listener.AcceptSocketAsync().WithTimeout("accept");
        peer.Shutdown(SocketShutdown.Send);
        await clientDriver.Log.WaitForAsync("eof");
        Assert.Equal("bye", Encoding.ASCII.GetString(await peer.ReadExactlyAsync(3)));
        await client.Loop.Barrier();
        Assert.False(client.IsClosed);

        await client.DisposeAsync().WithTimeout("client close");
        var (rest, reset) = await peer.ReadToEndAsync();
        Assert.Empty(rest);
        Assert.False(reset);
        Assert.Equal(new[] { "connect", "eof", "outputEmpty", "close" }, clientDriver.Log.KindsOf(client));
    }

    /// <summary>A server on <paramref name="loop"/> whose accepted socket never reads (paused at once), and a peer connected to it.</summary>
    private static async Task<(TcpServer Server, Socket Peer, TcpSocket Side)> ConnectToASocketThatNeverReadsAsync(TestLoop loop)
    {
        var driver = new RecordingDriver
        {
            OnConnection = (_, client) =>
            {
                client.Pause();
                return default;
            },
        };
        var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        var peer = await Peer.ConnectAsync(server.Port!.Value);
        return (server, peer, await driver.Log.SocketOfFirstAsync("connection"));
    }

    [Fact]
    public async Task The_drain_before_a_close_stops_after_sixteen_reads_and_input_beyond_them_is_answered_with_a_reset()
    {
        // Reads of 1 KiB: sixteen take 16,384 bytes, and the peer sent 1,000 more. A close must not read without end
        // (a peer that keeps sending would hold the loop), so what is left makes the kernel reset the connection.
        await using var loop = new TestLoop(new EventLoopOptions { ReadBufferSize = 1024 });
        var (server, peer, side) = await ConnectToASocketThatNeverReadsAsync(loop);
        await using var _ = server;
        using var __ = peer;
        await peer.SendAllAsync(new byte[16 * 1024 + 1000]);
        await peer.WaitUntilAcknowledgedAsync();
        await loop.OnLoop(() => side.Close());

        // The write side ends first (a FIN, read as the end of file), then the close with input left resets.
        var (data, resetWhileReading) = await peer.ReadToEndAsync();
        Assert.Empty(data);
        Assert.True(resetWhileReading || peer.Poll(EventLog.DefaultTimeout, SelectMode.SelectError),
            "no reset came: the close drained more than sixteen reads");
    }

    [Fact]
    public async Task Closing_a_socket_that_left_more_than_one_read_of_input_unread_ends_the_connection_with_a_clean_end_of_file()
    {
        // Unread input makes the kernel answer a close with a reset: the close first drains it (up to sixteen reads). This socket never reads, so its read size stays at 16 KiB,
        // and 40,000 bytes wait: more than one read.
        await using var loop = new TestLoop();
        var (server, peer, side) = await ConnectToASocketThatNeverReadsAsync(loop);
        await using var _ = server;
        using var __ = peer;
        await peer.SendAllAsync(new byte[40_000]);
        await loop.OnLoop(() =>
        {
            side.Write("bye"u8);
            side.Close();
        });

        var (data, reset) = await peer.ReadToEndAsync();
        Assert.False(reset, "the peer got a reset");
        Assert.Equal("bye", Encoding.ASCII.GetString(data));

        // The server's write side ended before its close, so the peer has its bytes and the end of file either way;
        // what a reset would change is the peer's next send, which fails at once after a reset and not after a clean end.
        Assert.Equal(1, peer.Send(new byte[1]));
    }

    [Fact]
    public async Task Closed_connections_leave_the_loops_poll_table_whichever_side_closed()
    {
        await using var loop = new TestLoop();
        var driver = RecordingDriver.Echo();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        int listening = await loop.OnLoop(() => loop.Loop.RegisteredTargets); // the wake-up descriptor and the listener

        using (var first = await Peer.ConnectAsync(server.Port!.Value))
        {
            using var second = await Peer.ConnectAsync(server.Port!.Value);
            await driver.Log.WaitForAsync("connection", count: 2);
            Assert.Equal(listening + 2, await loop.OnLoop(() => loop.Loop.RegisteredTargets));
            var side = await driver.Log.SocketOfFirstAsync("connection");
            await loop.OnLoop(() => side.Close()); // closed by the server
        }

        await driver.Log.WaitForAsync("close", count: 2); // and by the peer
        await loop.Loop.Barrier();
        Assert.Equal(listening, await loop.OnLoop(() => loop.Loop.RegisteredTargets));
    }
}
