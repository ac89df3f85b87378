using System;
using System.IO;
using System.Net.Sockets;
using System.Threading.Tasks;
using Conserv.Interop;
using Conserv.Testing;

namespace Conserv.Runtime.Tests;

/// <summary>
/// The output queue (native segments in a ring) behind a peer that takes a window at a time, on the in-memory
/// transport: every step is exact, so the queue's length is checked after each one and the bytes at the end. The
/// steps take the queue through a partly sent head segment, a head that moves on, a tail that wraps around the ring,
/// a ring that grows while wrapped, segments of every size and a gathered write that cannot describe them all.
/// </summary>
public class OutputQueueTests
{
    private const int Window = 1000;

    [Fact]
    public async Task Output_queued_in_pieces_leaves_byte_for_byte_as_the_peer_takes_one_window_at_a_time()
    {
        await using var network = new TestNetwork(new TestNetworkOptions { Window = Window });
        var peer = await network.AcceptAsync(new RecordingDriver());
        var socket = peer.Socket;
        var written = new MemoryStream();
        var received = new MemoryStream();
        int seed = 0;
        peer.StopReading();

        async Task WriteAsync(int length)
        {
            var bytes = Peer.Pattern(length, ++seed);
            written.Write(bytes);
            await network.Loop.OnLoopAsync(() => socket.Write(bytes)); // flushed right after this posted work
            await network.SettleAsync();
        }

        async Task TakeWindowsAsync(int windows)
        {
            for (int i = 0; i < windows; i++)
            {
                // In one loop turn the peer reads again and stops again: a fresh window, so the socket's next send on
                // writability takes exactly one window of its queue.
                await network.Loop.OnLoopAsync(() =>
                {
                    peer.ResumeReading();
                    peer.StopReading();
                });
                await network.SettleAsync();
                received.Write(peer.ReceiveAvailable());
            }
        }

        void AssertQueued(long expected)
        {
            Assert.Equal(expected, socket.BytesQueued);
            Assert.Equal(written.Length - expected, socket.BytesWritten);
            Assert.Equal(written.ToArray().AsSpan(0, (int)received.Length).ToArray(), received.ToArray());
        }

        await WriteAsync(4096); // the first window is sent at once: 3,096 stay in the first segment, its start moved
        received.Write(peer.ReceiveAvailable());
        Assert.Equal(Window, received.Length);
        AssertQueued(3096);

        await WriteAsync(4096); // three more full segments: the ring's four slots are taken
        await WriteAsync(4096);
        await WriteAsync(4096);
        AssertQueued(3096 + (3 * 4096));

        await TakeWindowsAsync(4); // the first segment is sent and freed, the second is part sent: the head moves on
        AssertQueued(3096 + (3 * 4096) - (4 * Window));

        await WriteAsync(4000); // into the slot the head left: the ring wraps around
        await WriteAsync(50); // fits in that wrapped tail
        AssertQueued(3096 + (3 * 4096) - (4 * Window) + 4050);

        await WriteAsync(200); // 46 fill the wrapped tail, 154 need a fifth segment: the ring grows while wrapped
        AssertQueued(3096 + (3 * 4096) - (4 * Window) + 4250);

        await TakeWindowsAsync(3);
        await WriteAsync(70_000); // larger than a segment: a 64 KiB segment and one for the rest
        await WriteAsync(10);
        AssertQueued(3096 + (3 * 4096) - (7 * Window) + 4250 + 70_010);

        for (int i = 0; i < 70; i++)
        {
            await WriteAsync(4096); // more segments than one gathered write describes
        }

        AssertQueued(3096 + (3 * 4096) - (7 * Window) + 4250 + 70_010 + (70 * 4096));

        peer.ResumeReading();
        received.Write(await peer.ReceiveAsync((int)(written.Length - received.Length)));
        await network.SettleAsync();
        Assert.Equal(written.ToArray(), received.ToArray());
        Assert.Equal(0, socket.BytesQueued);
        Assert.Equal(written.Length, socket.BytesWritten);
        Assert.Empty(peer.ReceiveAvailable());
    }

    [Theory]
    [InlineData(100)] // the window takes the small write and part of the large one
    [InlineData(3000)] // the window takes part of the small write only: the rest of it stays queued, ahead of the large one
    public async Task A_large_write_behind_queued_bytes_goes_out_in_the_same_gathered_write_and_its_rest_is_queued_in_order(int smallLength)
    {
        // In one callback: a small write (queued), then one of 40 KiB (sent from the caller's memory, after the queue,
        // in the same gathered write). The peer's window takes part of that; what it did not take must stay queued,
        // in order, and leave as the peer reads on.
        await using var network = new TestNetwork(new TestNetworkOptions { Window = Window });
        var peer = await network.AcceptAsync(new RecordingDriver());
        var socket = peer.Socket;
        peer.StopReading();
        var small = Peer.Pattern(smallLength, 1);
        var large = Peer.Pattern(40 * 1024, 2);
        long writesBefore = socket.GatheredWrites;
        await network.Loop.OnLoopAsync(() =>
        {
            socket.Write(small);
            socket.Write(large);
        });
        await network.SettleAsync();

        var received = new MemoryStream();
        received.Write(peer.ReceiveAvailable());
        Assert.Equal(Window, received.Length); // one window's worth, in one send
        Assert.Equal(small.Length + large.Length - Window, socket.BytesQueued);
        Assert.Equal(1, socket.GatheredWrites - writesBefore); // a write the kernel took only part of is not retried until writable

        var all = await ResumeAndReceiveAsync(network, peer, received, small.Length + large.Length);
        Assert.Equal([.. small, .. large], all);
        Assert.Equal(0, socket.BytesQueued);
    }

    [Fact]
    public async Task A_write_that_finds_the_peers_window_exactly_full_waits_for_writability_and_leaves_when_the_peer_reads()
    {
        // The first write fills the window exactly, so the socket has no reason to wait for writability; the second
        // one's send is refused (EAGAIN) and only writability can bring it out.
        await using var network = new TestNetwork(new TestNetworkOptions { Window = Window });
        var peer = await network.AcceptAsync(new RecordingDriver());
        var socket = peer.Socket;
        peer.StopReading();
        var first = Peer.Pattern(Window, 1);
        var second = Peer.Pattern(10, 2);
        await network.Loop.OnLoopAsync(() => socket.Write(first));
        await network.SettleAsync();
        Assert.Equal(0, socket.BytesQueued);
        await network.Loop.OnLoopAsync(() => socket.Write(second));
        await network.SettleAsync();
        Assert.Equal(second.Length, socket.BytesQueued);

        var all = await ResumeAndReceiveAsync(network, peer, new MemoryStream(), first.Length + second.Length);
        Assert.Equal([.. first, .. second], all);
        Assert.Equal(0, socket.BytesQueued);
    }

    [Fact]
    public async Task Writes_made_while_the_socket_waits_for_writability_are_queued_without_a_system_call()
    {
        await using var network = new TestNetwork(new TestNetworkOptions { Window = Window });
        var driver = new RecordingDriver();
        var peer = await network.AcceptAsync(driver);
        var socket = peer.Socket;
        peer.StopReading();
        var written = new MemoryStream();
        for (int i = 0; i < 3; i++)
        {
            var bytes = Peer.Pattern(Window, i + 1);
            written.Write(bytes);
            await network.Loop.OnLoopAsync(() => socket.Write(bytes));
            await network.SettleAsync();
        }

        // The first write filled the window; the second one's send was refused and left the socket waiting; the third,
        // made while it waited, only joined the queue.
        Assert.Equal(2 * Window, socket.BytesQueued);
        long writesWhileWaiting = socket.GatheredWrites;
        await network.Loop.OnLoopAsync(() => socket.Write(Peer.Pattern(10, 9)));
        await network.SettleAsync();
        Assert.Equal(writesWhileWaiting, socket.GatheredWrites);
        Assert.Equal(2 * Window + 10, socket.BytesQueued);

        // Nor does a read that arrives meanwhile try the queue again: only writability does.
        peer.Send("ping"u8);
        await network.SettleAsync();
        Assert.Equal("ping"u8.ToArray(), driver.Log.First("data").Bytes);
        Assert.Equal(writesWhileWaiting, socket.GatheredWrites);
    }

    [Fact]
    public async Task A_text_write_is_held_to_the_output_limit_by_its_encoded_length_not_its_worst_case()
    {
        await using var network = new TestNetwork(new TestNetworkOptions { Window = Window });
        var driver = new RecordingDriver { OnError = (_, e) => new ValueTask<bool>(e is OutputOverflowException) };
        var peer = await network.AcceptAsync(driver);
        var socket = peer.Socket;
        socket.ExternalFormatOut = System.Text.Encoding.UTF8;
        socket.OutputLimit = 1100;
        peer.StopReading();
        await network.Loop.OnLoopAsync(() => socket.Write(Peer.Pattern(Window, 1))); // fills the window
        await network.SettleAsync();
        await network.Loop.OnLoopAsync(() => socket.Write(Peer.Pattern(1000, 2))); // queued
        await network.SettleAsync();
        Assert.Equal(1000, socket.BytesQueued);

        // 60 ASCII characters: at most 183 bytes in UTF-8, which would pass the limit, but 60 in fact, which do not.
        await network.Loop.OnLoopAsync(() => socket.Write(new string('x', 60)));
        await network.SettleAsync();
        Assert.Equal(1060, socket.BytesQueued);
        Assert.Equal(0, driver.Log.Count("error"));

        // 30 characters of two bytes each: 60 bytes, 20 past the limit: refused whole.
        await network.Loop.OnLoopAsync(() => socket.Write(new string('é', 30)));
        await network.SettleAsync();
        var overflow = Assert.IsType<OutputOverflowException>(driver.Log.First("error").Error);
        Assert.Equal(60, overflow.Refused);
        Assert.Equal(1060, socket.BytesQueued);
    }

    [Fact]
    public async Task Text_written_after_the_output_format_changed_is_encoded_with_the_new_one()
    {
        await using var network = new TestNetwork();
        var peer = await network.AcceptAsync(new RecordingDriver());
        var socket = peer.Socket;
        socket.ExternalFormatOut = System.Text.Encoding.UTF8;
        await network.Loop.OnLoopAsync(() => socket.Write("é"));
        socket.ExternalFormatOut = System.Text.Encoding.Latin1;
        await network.Loop.OnLoopAsync(() => socket.Write("é"));

        // Set from another thread, the format is stored at once and the encoder dropped on the loop later: a write
        // already queued to the loop runs in between and must use the new format all the same.
        Task written;
        using (await network.Loop.HoldAsync())
        {
            written = network.Loop.OnLoopAsync(() => socket.Write("é")); // queued behind the hold
            socket.ExternalFormatOut = System.Text.Encoding.UTF8; // its encoder reset is queued behind the write
        }

        await written;

        Assert.Equal(new byte[] { 0xC3, 0xA9, 0xE9, 0xC3, 0xA9 }, await peer.ReceiveAsync(5));
    }

    [Fact]
    public async Task Writes_from_another_thread_count_against_the_output_limit_only_until_they_have_been_written()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver { OnError = (_, e) => new ValueTask<bool>(e is OutputOverflowException) };
        var peer = await network.AcceptAsync(driver);
        var socket = peer.Socket;
        socket.OutputLimit = 1000;

        // From this (test) thread: copied, posted to the loop, counted as output until the loop has written it.
        socket.Write(Peer.Pattern(600, 1));
        Assert.Equal(Peer.Pattern(600, 1), await peer.ReceiveAsync(600));
        socket.Write(Peer.Pattern(600, 2)); // fits again: the first 600 bytes have left
        Assert.Equal(Peer.Pattern(600, 2), await peer.ReceiveAsync(600));
        await network.SettleAsync();
        Assert.Equal(0, driver.Log.Count("error"));

        // Two writes posted before the loop runs either: the second would pass the limit and is refused whole.
        using (await network.Loop.HoldAsync())
        {
            socket.Write(Peer.Pattern(600, 3));
            socket.Write(Peer.Pattern(600, 4));
        }

        Assert.Equal(Peer.Pattern(600, 3), await peer.ReceiveAsync(600));
        await network.SettleAsync();
        Assert.Empty(peer.ReceiveAvailable());
        Assert.Equal(600, Assert.IsType<OutputOverflowException>(driver.Log.First("error").Error).Refused);
    }

    [Fact]
    public async Task Text_writes_check_their_argument_and_the_output_format()
    {
        await using var network = new TestNetwork();
        var peer = await network.AcceptAsync(new RecordingDriver());
        var socket = peer.Socket;
        Assert.Equal("text", Assert.Throws<ArgumentNullException>(() => socket.Write((string)null!)).ParamName);
        socket.ExternalFormatOut = null; // bytes only
        var noFormat = Assert.Throws<InvalidOperationException>(() => socket.Write("text"));
        Assert.Contains("has no ExternalFormatOut", noFormat.Message);
    }

    [Fact]
    public async Task Output_empty_is_raised_for_what_was_written_not_for_a_write_that_produced_no_bytes_yet()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver();
        var peer = await network.AcceptAsync(driver);
        var socket = peer.Socket;
        socket.ExternalFormatOut = System.Text.Encoding.UTF8;

        // The first half of a surrogate pair encodes to nothing until its second half comes.
        await network.Loop.OnLoopAsync(() => socket.Write('\uD83D'));
        await network.SettleAsync();
        Assert.Equal(0, driver.Log.Count("outputEmpty"));
        await network.Loop.OnLoopAsync(() => socket.Write('\uDE00'));
        await network.SettleAsync();
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes("\U0001F600"), await peer.ReceiveAsync(4));
        Assert.Equal(1, driver.Log.Count("outputEmpty"));
    }

    [Fact]
    public async Task A_driver_without_the_output_empty_feature_is_not_called_for_it()
    {
        await using var network = new TestNetwork();
        var driver = new RecordingDriver { Features = SocketDriverFeatures.ByteData };
        var peer = await network.AcceptAsync(driver);
        await network.Loop.OnLoopAsync(() => peer.Socket.Write("one"u8));
        peer.Send("two"u8);
        await network.SettleAsync();
        Assert.Equal("one"u8.ToArray(), await peer.ReceiveAsync(3));
        Assert.Equal(1, driver.Log.Count("data"));
        Assert.Equal(0, driver.Log.Count("outputEmpty"));
    }

    [Fact]
    public async Task After_Close_nothing_more_is_read_while_queued_output_drains()
    {
        await using var network = new TestNetwork(new TestNetworkOptions { Window = Window });
        var driver = new RecordingDriver();
        var peer = await network.AcceptAsync(driver);
        var socket = peer.Socket;
        peer.StopReading();
        var reply = Peer.Pattern(3 * Window, 1);
        await network.Loop.OnLoopAsync(() =>
        {
            socket.Write(reply);
            socket.Close(); // waits for the queue to drain
        });
        peer.Send("late"u8);
        await network.SettleAsync();
        Assert.Equal(0, driver.Log.Count("data"));
        Assert.False(socket.IsClosed);

        await network.Loop.OnLoopAsync(() => peer.ResumeReading());
        Assert.Equal(reply, await peer.ReceiveToEndAsync().WaitAsync(EventLog.DefaultTimeout));
        await driver.Log.WaitForAsync("close");
        Assert.Equal(0, driver.Log.Count("data"));
    }

    [Fact]
    public unsafe void The_segment_pool_hands_back_what_was_returned_and_keeps_no_more_than_its_capacity()
    {
        var pool = new OutputSegmentPool(capacity: 2);
        try
        {
            byte* a = pool.Rent(), b = pool.Rent(), c = pool.Rent();
            Assert.Equal(3, pool.Allocated);
            pool.Return(a);
            pool.Return(b);
            pool.Return(c); // past the capacity: freed
            Assert.Equal(2, pool.Count);

            byte* again = pool.Rent();
            Assert.True(again == b, "the last segment returned is rented first (still in the cache)");
            Assert.True(pool.Rent() == a);
            Assert.Equal(3, pool.Allocated); // both came from the pool
            pool.Return(again);
        }
        finally
        {
            pool.Dispose();
        }

        Assert.Equal(0, pool.Count);
    }

    [Fact]
    public void A_queue_takes_its_small_segments_from_the_pool_and_gives_them_back_as_the_kernel_takes_them()
    {
        var pool = new OutputSegmentPool(capacity: 8);
        var queue = new OutputQueue(pool);
        try
        {
            for (int round = 0; round < 10; round++)
            {
                queue.Append(new byte[100]);
                queue.Append(new byte[OutputSegmentPool.SegmentSize]); // fills the first segment, starts a second
                Assert.Equal(100 + OutputSegmentPool.SegmentSize, queue.Length);
                queue.Consume(queue.Length);
                Assert.True(queue.IsEmpty);
            }

            Assert.Equal(2, pool.Allocated); // ten rounds, the same two segments
            Assert.Equal(2, pool.Count);

            queue.Append(new byte[3 * OutputSegmentPool.SegmentSize]); // a large segment: not the pool's size
            queue.Clear();
            Assert.Equal(2, pool.Allocated);
            Assert.Equal(2, pool.Count);

            queue.Append(new byte[100]);
            queue.Append(new byte[OutputSegmentPool.SegmentSize]);
            Assert.Equal(0, pool.Count);
            queue.Clear(); // what a closing socket drops goes back to the pool too
            Assert.Equal(2, pool.Count);
            Assert.True(queue.IsEmpty);
            queue.Append(new byte[7]);
            queue.Append(new byte[9]);
            queue.Append(new byte[11]);
            Assert.Equal(27, queue.Length);
            Assert.Equal(1, queue.SegmentCount); // small writes share the tail segment while it has room
            Assert.Equal(2, pool.Allocated);
        }
        finally
        {
            queue.Clear();
            pool.Dispose();
        }
    }

    [Fact]
    public unsafe void Gather_describes_the_head_segments_that_fit_and_counts_exactly_their_bytes()
    {
        var pool = new OutputSegmentPool(capacity: 8);
        var queue = new OutputQueue(pool);
        try
        {
            var first = Peer.Pattern(OutputSegmentPool.SegmentSize, 1); // fills the first segment
            var second = Peer.Pattern(3 * OutputSegmentPool.SegmentSize, 2); // a segment of its own size
            var third = Peer.Pattern(10, 3);
            queue.Append(first);
            queue.Append(second);
            queue.Append(third);
            queue.Consume(96); // the head partly sent
            Assert.Equal(3, queue.SegmentCount);

            var vectors = new Libc.IoVector[4];
            fixed (Libc.IoVector* v = vectors)
            {
                Assert.Equal(2, queue.Gather(v, max: 2, out long bytes));
                Assert.Equal(first.Length - 96 + second.Length, bytes);
                Assert.Equal(first.AsSpan(96).ToArray(), new Span<byte>(v[0].Base, (int)v[0].Length).ToArray());
                Assert.Equal(second, new Span<byte>(v[1].Base, (int)v[1].Length).ToArray());
                Assert.True(v[2].Base == null, "no vector past the two asked for");

                Assert.Equal(3, queue.Gather(v, max: 4, out bytes));
                Assert.Equal(queue.Length, bytes);
                Assert.Equal(third, new Span<byte>(v[2].Base, (int)v[2].Length).ToArray());
            }
        }
        finally
        {
            queue.Clear();
            pool.Dispose();
        }
    }

    [Fact]
    public async Task Replies_of_many_connections_over_many_batches_reuse_the_loops_segments()
    {
        // Each batch's replies wait in segments until the batch ends; the loop reuses them batch after batch instead
        // of allocating (and, past glibc's trim threshold, faulting in) fresh memory for every reply.
        await using var loop = new TestLoop();
        var driver = RecordingDriver.Echo();
        await using var server = TcpServer.Listen(driver, port: 0, loop: loop.Loop);
        var peers = new Socket[20];
        try
        {
            for (int i = 0; i < peers.Length; i++)
            {
                peers[i] = await Peer.ConnectAsync(server.Port!.Value);
            }

            await driver.Log.WaitForAsync("connection", peers.Length);
            long before = await loop.OnLoop(() => loop.Loop.OutputSegments.Allocated);
            for (int round = 0; round < 25; round++)
            {
                foreach (var peer in peers)
                {
                    await peer.SendAllAsync(Peer.Pattern(64, round));
                }

                foreach (var peer in peers)
                {
                    Assert.Equal(Peer.Pattern(64, round), await peer.ReadExactlyAsync(64));
                }
            }

            // 500 replies; at most one segment per connection was ever needed at once.
            long allocated = await loop.OnLoop(() => loop.Loop.OutputSegments.Allocated) - before;
            Assert.InRange(allocated, 0, peers.Length);
        }
        finally
        {
            foreach (var peer in peers)
            {
                peer?.Dispose();
            }
        }
    }

    /// <summary>Lets the peer read again and collects what arrives until <paramref name="total"/> bytes came (at most 100 settles).</summary>
    private static async Task<byte[]> ResumeAndReceiveAsync(TestNetwork network, TestPeer peer, MemoryStream received, long total)
    {
        await network.Loop.OnLoopAsync(() => peer.ResumeReading());
        await network.SettleAsync();
        for (int i = 0; i < 100 && received.Length < total; i++)
        {
            received.Write(peer.ReceiveAvailable());
            await network.SettleAsync();
        }

        return received.ToArray();
    }
}
