using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Conserv.Testing;

namespace Conserv.Runtime.Tests;

/// <summary>Output water marks and the output limit: what a peer that does not read can cost a server.</summary>
public class FlowControlTests
{
    [Fact]
    public async Task A_peer_that_sends_but_never_reads_stops_the_server_reading_it_and_its_queue_stays_at_the_high_water_mark()
    {
        await using var loop = new TestLoop();
        var driver = RecordingDriver.Echo();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var slow = await ConnectWithSmallReceiveBufferAsync(server.Port!.Value);
        var serverSide = await driver.Log.SocketOfFirstAsync("connection");

        // More than every kernel buffer on the way can hold (receive buffers grow up to 32 MiB here): the server
        // must stop reading, or queue it all.
        var payload = Peer.Pattern(64 * 1024 * 1024, seed: 1);
        using var stopSending = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var sending = SendUntilDoneOrCancelledAsync(slow, payload, stopSending.Token);

        await Poll.UntilAsync(loop.Loop, () => !serverSide.IsWritable, "the server side to stop being writable");
        long readWhenBlocked = await loop.OnLoop(() => serverSide.BytesRead);
        long high = TcpSocketOptions.DefaultOutputHighWaterMark;
        int oneRead = loop.Loop.Options.ReadBufferSize; // the most one read (and so one echo) can add
        Assert.InRange(await loop.OnLoop(() => serverSide.BytesQueued), high + 1, high + oneRead);

        // Reads have stopped (the data waits in the kernel, throttling the peer), and the queue does not grow.
        await Task.Delay(300);
        Assert.Equal(readWhenBlocked, await loop.OnLoop(() => serverSide.BytesRead));
        Assert.InRange(await loop.OnLoop(() => serverSide.BytesQueued), high + 1, high + oneRead);
        Assert.False(sending.IsCompleted, "the peer could send everything although the server stopped reading");

        // Other connections carry on meanwhile.
        using (var other = await Peer.ConnectAsync(server.Port!.Value))
        {
            await other.SendAllAsync("hello"u8.ToArray());
            Assert.Equal("hello"u8.ToArray(), await other.ReadExactlyAsync(5));
        }

        // Once the peer reads, everything comes back, byte for byte, and the socket is writable again.
        var echoed = await slow.ReadExactlyAsync(payload.Length);
        await sending;
        Assert.True(echoed.AsSpan().SequenceEqual(payload));
        await Poll.UntilAsync(loop.Loop, () => serverSide.IsWritable && serverSide.BytesQueued == 0, "the queue to drain");
        Assert.Equal(0, driver.Log.Count("error"));
    }

    [Fact]
    public async Task Output_beyond_the_limit_drops_the_socket_that_does_not_read_not_the_one_that_wrote()
    {
        await using var loop = new TestLoop();
        var chunk = Peer.Pattern(100 * 1024, seed: 2);
        long largestQueue = 0;
        TcpSocket? slowSide = null;
        var driver = new RecordingDriver
        {
            OnConnection = (_, client) =>
            {
                slowSide ??= client; // the first client never reads
                return default;
            },

            // A broadcast: each byte from the speaker sends a chunk to every other client, then acknowledges.
            OnData = (speaker, _) =>
            {
                foreach (var client in speaker.Server!.Clients.Where(c => c != speaker && !c.IsClosed))
                {
                    client.Write(chunk);
                    largestQueue = Math.Max(largestQueue, client.BytesQueued);
                }

                speaker.Write("k"u8);
                return default;
            },
        };
        var options = new TcpServerOptions { OutputLimit = 1024 * 1024 };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: options);
        using var slow = await ConnectWithSmallReceiveBufferAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection");
        using var speaker = await Peer.ConnectAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection", 2);

        for (int i = 0; i < 1000 && !await loop.OnLoop(() => slowSide!.IsClosed); i++)
        {
            await speaker.SendAllAsync(new byte[] { 1 });
            await speaker.ReadExactlyAsync(1);
        }

        var error = driver.Log.Events.Single(e => e.Kind == "error");
        Assert.Same(slowSide, error.Socket);
        var overflow = Assert.IsType<OutputOverflowException>(error.Error);
        Assert.Equal(chunk.Length, overflow.Refused);
        Assert.Equal(1024 * 1024, overflow.Limit);
        Assert.IsType<OutputOverflowException>(driver.Log.Events.Single(e => e.Kind == "close").Error);
        Assert.InRange(largestQueue, 1, 1024 * 1024);
        var (_, reset) = await slow.ReadToEndAsync();
        Assert.True(reset, "a peer dropped for not reading is reset, so the kernel stops sending to it");

        // The writer was not blamed: the speaker is still served.
        await speaker.SendAllAsync(new byte[] { 1 });
        Assert.Equal((byte)'k', (await speaker.ReadExactlyAsync(1))[0]);
    }

    [Fact]
    public async Task A_handled_overflow_keeps_the_connection_and_refuses_each_write_that_does_not_fit_whole()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver { OnError = (_, e) => new ValueTask<bool>(e is OutputOverflowException) };
        var options = new TcpServerOptions { OutputLimit = 512 * 1024 };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: options);
        using var slow = await ConnectWithSmallReceiveBufferAsync(server.Port!.Value);
        var serverSide = await driver.Log.SocketOfFirstAsync("connection");

        // Numbered chunks, written until the limit refuses some; never more than the limit is queued.
        const int ChunkSize = 40 * 1000;
        int written = 0;
        long largestQueue = 0;
        await Poll.UntilAsync(loop.Loop, () =>
        {
            for (int i = 0; i < 8; i++)
            {
                serverSide.Write(Chunk(written++, ChunkSize));
                largestQueue = Math.Max(largestQueue, serverSide.BytesQueued);
            }

            return driver.Log.Count("error") > 0 || written > 4000;
        }, "an overflow");
        Assert.IsType<OutputOverflowException>(driver.Log.First("error").Error);
        Assert.InRange(largestQueue, 1, 512 * 1024);
        Assert.False(await loop.OnLoop(() => serverSide.IsClosed));

        // What arrives is whole chunks in order, with the refused ones missing entirely.
        await loop.OnLoop(() => serverSide.Close());
        var (received, reset) = await slow.ReadToEndAsync();
        Assert.False(reset);
        Assert.Equal(0, received.Length % ChunkSize);
        int previous = -1;
        for (int offset = 0; offset < received.Length; offset += ChunkSize)
        {
            int number = BitConverter.ToInt32(received, offset);
            Assert.True(number > previous, $"chunk {number} after {previous}");
            Assert.True(received.AsSpan(offset, ChunkSize).SequenceEqual(Chunk(number, ChunkSize)), $"chunk {number} is damaged");
            previous = number;
        }

        Assert.True(received.Length / ChunkSize < written, "no write was refused");
        Assert.Null(driver.Log.First("close").Error);
    }

    [Fact]
    public async Task Writes_from_another_thread_count_against_the_limit_too()
    {
        await using var loop = new TestLoop();
        var driver = new RecordingDriver();
        var options = new TcpServerOptions { OutputLimit = 256 * 1024 };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop, options: options);
        using var slow = await ConnectWithSmallReceiveBufferAsync(server.Port!.Value);
        var serverSide = await driver.Log.SocketOfFirstAsync("connection");

        var chunk = Peer.Pattern(64 * 1024, seed: 3);
        for (int i = 0; i < 2000 && driver.Log.Count("error") == 0; i++)
        {
            try
            {
                serverSide.Write(chunk); // off the loop thread: copied and queued to the loop
            }
            catch (ObjectDisposedException)
            {
                break;
            }
        }

        await driver.Log.WaitForAsync("close");
        Assert.IsType<OutputOverflowException>(driver.Log.First("error").Error);
        Assert.IsType<OutputOverflowException>(driver.Log.First("close").Error);
    }

    [Fact]
    public async Task OutputEmpty_at_the_low_water_mark_comes_while_output_is_still_queued()
    {
        await using var loop = new TestLoop();
        var queuedAtEvent = new ConcurrentQueue<long>();
        var driver = new RecordingDriver
        {
            Features = SocketDriverFeatures.ByteData | SocketDriverFeatures.OutputEmpty | SocketDriverFeatures.OutputEmptyAtLowWaterMark,
            OnConnection = (_, client) =>
            {
                // Marks far above what one drain can take while the peer's window is small (the send buffer's
                // free space: 4 MiB at most here).
                client.SetOutputWaterMarks(low: 8 * 1024 * 1024, high: 12 * 1024 * 1024);
                client.OutputLimit = null;
                client.Write(Peer.Pattern(24 * 1024 * 1024, seed: 4));
                return default;
            },
            OnOutputEmpty = s =>
            {
                queuedAtEvent.Enqueue(s.BytesQueued);
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        // A small window: no single drain of the queue can take it from above the low mark to empty.
        using var peer = await ConnectWithSmallReceiveBufferAsync(server.Port!.Value);
        await driver.Log.WaitForAsync("connection");
        var received = await peer.ReadExactlyAsync(24 * 1024 * 1024);
        await driver.Log.WaitForAsync("outputEmpty");
        await loop.Loop.Barrier(); // the event is logged before its delegate runs

        Assert.True(received.AsSpan().SequenceEqual(Peer.Pattern(24 * 1024 * 1024, seed: 4)));
        Assert.True(queuedAtEvent.TryPeek(out long first));
        Assert.InRange(first, 1, 8 * 1024 * 1024);
        Assert.Single(queuedAtEvent); // nothing was written since: no second event when the queue empties
    }

    [Fact]
    public async Task Plain_OutputEmpty_waits_until_nothing_is_queued()
    {
        await using var loop = new TestLoop();
        var queuedAtEvent = new ConcurrentQueue<long>();
        var driver = new RecordingDriver
        {
            OnConnection = (_, client) =>
            {
                client.SetOutputWaterMarks(low: 8 * 1024 * 1024, high: 12 * 1024 * 1024);
                client.Write(Peer.Pattern(24 * 1024 * 1024, seed: 5));
                return default;
            },
            OnOutputEmpty = s =>
            {
                queuedAtEvent.Enqueue(s.BytesQueued);
                return default;
            },
        };
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        await peer.ReadExactlyAsync(24 * 1024 * 1024);
        await driver.Log.WaitForAsync("outputEmpty");
        await loop.Loop.Barrier(); // the event is logged before its delegate runs
        Assert.Equal(new long[] { 0 }, queuedAtEvent.ToArray());
    }

    [Fact]
    public async Task Water_marks_and_limits_are_validated_and_name_what_is_wrong()
    {
        var options = new TcpServerOptions { OutputLowWaterMark = 100, OutputHighWaterMark = 50 };
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => TcpServer.Listen(new RecordingDriver(), port: 0, options: options)).ParamName);
        var tooSmallLimit = new TcpSocketOptions { OutputLimit = 1000 };
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => TcpSocket.Connect(new RecordingDriver(), "127.0.0.1", 1, options: tooSmallLimit)).ParamName);
        Assert.Equal("OutputHighWaterMark", Assert.Throws<ArgumentOutOfRangeException>(() => new TcpSocketOptions { OutputHighWaterMark = 0 }).ParamName);
        Assert.Equal("OutputLowWaterMark", Assert.Throws<ArgumentOutOfRangeException>(() => new TcpSocketOptions { OutputLowWaterMark = -1 }).ParamName);
        Assert.Equal("OutputLimit", Assert.Throws<ArgumentOutOfRangeException>(() => new TcpSocketOptions { OutputLimit = 0 }).ParamName);

        await using var loop = new TestLoop();
        var driver = new RecordingDriver();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        using var peer = await Peer.ConnectAsync(server.Port!.Value);
        var serverSide = await driver.Log.SocketOfFirstAsync("connection");
        Assert.Equal("low", Assert.Throws<ArgumentException>(() => serverSide.SetOutputWaterMarks(10, 5)).ParamName);
        Assert.Equal("high", Assert.Throws<ArgumentOutOfRangeException>(() => serverSide.SetOutputWaterMarks(0, 0)).ParamName);
        Assert.Equal("OutputLimit", Assert.Throws<ArgumentOutOfRangeException>(() => serverSide.OutputLimit = -5).ParamName);
    }

    /// <summary>A chunk whose first four bytes are its number, the rest a pattern of that number.</summary>
    private static byte[] Chunk(int number, int size)
    {
        var chunk = Peer.Pattern(size, seed: number);
        BitConverter.TryWriteBytes(chunk, number);
        return chunk;
    }

    /// <summary>A client whose receive buffer is small from the start (so its window is small too).</summary>
    private static async Task<Socket> ConnectWithSmallReceiveBufferAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        using var cts = new CancellationTokenSource(EventLog.DefaultTimeout);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
        return socket;
    }

    private static async Task SendUntilDoneOrCancelledAsync(Socket socket, byte[] data, CancellationToken cancel)
    {
        int sent = 0;
        while (sent < data.Length)
        {
            sent += await socket.SendAsync(data.AsMemory(sent, Math.Min(64 * 1024, data.Length - sent)), SocketFlags.None, cancel);
        }
    }

    // ---- exact steps on the in-memory network (a window of 1,000 bytes, a peer that reads only when told) ----

    [Fact]
    public async Task Water_marks_set_at_run_time_apply_at_once_to_what_is_queued_at_their_exact_edges()
    {
        await using var network = new TestNetwork(new TestNetworkOptions { Window = 1000 });
        var driver = new RecordingDriver();
        var peer = await network.AcceptAsync(driver);
        var socket = peer.Socket;
        peer.StopReading();
        await network.Loop.OnLoopAsync(() => socket.Write(Peer.Pattern(5000, 1)));
        await network.SettleAsync();
        Assert.Equal(4000, await network.Loop.OnLoopAsync(() => socket.BytesQueued)); // the window took 1,000

        async Task<(bool Writable, long Paused)> MarksAsync(int low, int high)
        {
            socket.SetOutputWaterMarks(low, high); // from the test's thread: posted to the loop
            await network.SettleAsync();
            return await network.Loop.OnLoopAsync(() => (socket.IsWritable, network.Loop.PausedSockets));
        }

        Assert.Equal((true, 0L), await MarksAsync(low: 1000, high: 4000)); // at the high mark, not above it
        Assert.Equal((false, 1L), await MarksAsync(low: 1000, high: 3999)); // above: blocked, and counted as not reading
        peer.Send("held"u8);
        await network.SettleAsync();
        Assert.Equal(0, driver.Log.Count("data")); // a blocked socket does not read
        Assert.Equal((false, 1L), await MarksAsync(low: 3999, high: 3999)); // a low mark under the queue keeps it blocked
        Assert.Equal((true, 0L), await MarksAsync(low: 4000, high: 4000)); // at the low mark: reads again
        Assert.Equal((4000, 4000), (socket.OutputLowWaterMark, socket.OutputHighWaterMark));
        await driver.Log.WaitForBytesAsync(4, socket);
        Assert.Equal("held", System.Text.Encoding.ASCII.GetString(driver.Log.BytesOf(socket)));
    }

    [Fact]
    public void SetOutputWaterMarks_names_the_mark_that_is_wrong()
    {
        var socket = TcpSocket.Connect(new RecordingDriver(), "127.0.0.1", Peer.UnusedPort());
        try
        {
            Assert.Equal("low", Assert.Throws<ArgumentOutOfRangeException>(() => socket.SetOutputWaterMarks(low: -1, high: 10)).ParamName);
            Assert.Equal("high", Assert.Throws<ArgumentOutOfRangeException>(() => socket.SetOutputWaterMarks(low: 0, high: 0)).ParamName);
            var above = Assert.Throws<ArgumentException>(() => socket.SetOutputWaterMarks(low: 11, high: 10));
            Assert.Equal("low", above.ParamName);
            Assert.StartsWith("The low water mark (11) must not be above the high one (10).", above.Message);
            socket.SetOutputWaterMarks(low: 10, high: 10); // equal marks are allowed
            Assert.Equal("OutputLimit", Assert.Throws<ArgumentOutOfRangeException>(() => socket.OutputLimit = 0).ParamName);
        }
        finally
        {
            socket.Abort();
        }
    }

    [Fact]
    public async Task A_write_that_exactly_fills_the_limit_is_taken_and_only_the_first_refused_write_is_reported()
    {
        await using var network = new TestNetwork(new TestNetworkOptions { Window = 1000 });
        var driver = new RecordingDriver { OnError = (_, e) => new ValueTask<bool>(e is OutputOverflowException) };
        var peer = await network.AcceptAsync(driver);
        var socket = peer.Socket;
        peer.StopReading();
        Assert.Equal(TcpSocketOptions.DefaultOutputLimit, socket.OutputLimit);
        socket.OutputLimit = null;
        Assert.Null(socket.OutputLimit);
        socket.OutputLimit = 5000;
        Assert.Equal(5000, socket.OutputLimit);

        await network.Loop.OnLoopAsync(() => socket.Write(Peer.Pattern(1000, 1))); // fills the window: nothing queued
        await network.SettleAsync();
        var queued = await network.Loop.OnLoopAsync(() =>
        {
            socket.Write(Peer.Pattern(5000, 2)); // exactly the limit
            long atLimit = socket.BytesQueued;
            socket.Write(Peer.Pattern(3, 3)); // refused: reported
            socket.Write(Peer.Pattern(7, 4)); // refused too: only discarded, one report at a time
            return (atLimit, socket.BytesQueued);
        });
        await network.SettleAsync();

        Assert.Equal((5000L, 5000L), queued);
        var overflow = Assert.IsType<OutputOverflowException>(Assert.Single(driver.Log.Events, e => e.Kind == "error").Error);
        Assert.Equal((5000L, 3L, 5000L), (overflow.Queued, overflow.Refused, overflow.Limit));
        Assert.Equal("A write of 3 bytes was refused: 5000 bytes were already queued and the output limit is 5000 bytes (the peer is not reading).", overflow.Message);
        Assert.False(await network.Loop.OnLoopAsync(() => socket.IsClosed)); // handled: kept

        peer.ResumeReading();
        var received = await peer.ReceiveAsync(6000);
        Assert.Equal(Peer.Pattern(1000, 1).Concat(Peer.Pattern(5000, 2)).ToArray(), received);
    }

    [Fact]
    public async Task An_aborted_socket_gives_its_queued_segments_back_to_the_loop()
    {
        await using var network = new TestNetwork(new TestNetworkOptions { Window = 1000 });
        var peer = await network.AcceptAsync(new RecordingDriver());
        var socket = peer.Socket;
        peer.StopReading();
        var pool = network.Loop.OutputSegments;
        var (taken, held) = await network.Loop.OnLoopAsync(() =>
        {
            socket.Write(Peer.Pattern(1000, 1));
            socket.Write(Peer.Pattern(100, 2));
            return (pool.Allocated, pool.Count);
        });
        await network.SettleAsync();
        Assert.Equal(100, await network.Loop.OnLoopAsync(() => socket.BytesQueued));

        socket.Abort();
        await peer.Closed.WaitAsync(EventLog.DefaultTimeout);
        Assert.True(taken > 0);
        Assert.Equal(0, held);
        Assert.Equal(taken, await network.Loop.OnLoopAsync(() => (long)pool.Count)); // every segment is back in the pool
    }
}
